import Foundation
import HTTP1Client
import NIOCore
import NIOHTTP1
import NIOSSL
import OCIModel
import Testing

/// The client against CPython's HTTP server: kept-alive connections, every way a body is framed,
/// streamed uploads, and the failures a client must end rather than wait out.
@Suite struct HTTPClientTests {
    static let pattern = (0..<300_000).map { UInt8($0 % 256) }

    /// The deadline of a request whose deadline is not under test: long, because with every suite
    /// running side by side on 2 cores, tests that wait for processes synchronously can hold all
    /// of Swift's threads, and a request's task then waits minutes for one (a CI run saw 6).
    static let patience: TimeAmount = .seconds(900)

    func client(readTimeout: Duration = .seconds(10), connections: Int = 8) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.readTimeout = readTimeout
        configuration.connectionsPerDestination = connections
        return HTTPClient(configuration: configuration)
    }

    /// Runs `body` with a fresh server and a client of its own, and stops both after.
    func withServer(
        _ kind: PythonServer.Kind = .tcp, readTimeout: Duration = .seconds(10), connections: Int = 8,
        _ body: (PythonServer, HTTPClient) async throws -> Void
    ) async throws {
        let server = try await PythonServer(kind)
        defer { server.stop() }
        let http = client(readTimeout: readTimeout, connections: connections)
        defer { http.shutdown() }
        try await body(server, http)
    }

    func get(_ url: String, _ method: HTTPMethod = .GET, with client: HTTPClient, within: TimeAmount = Self.patience)
        async throws -> (HTTPResponse, [UInt8])
    {
        let response = try await client.execute(HTTPRequest(url: url, method: method), deadline: .now() + within)
        let body = try await response.body.collect(upTo: 1 << 24)
        return (response, Array(body.readableBytesView))
    }

    @Test func keepsOneConnectionAliveAcrossRequestsAndEveryFraming() async throws {
        try await withServer { server, http throws in
            #expect(try await get(server.baseURL + "/bytes/300000", with: http).1 == Self.pattern)
            #expect(try await get(server.baseURL + "/chunked/250000", with: http).1 == Array(Self.pattern[..<250_000]))
            let (head, body) = try await get(server.baseURL + "/bytes/1000", .HEAD, with: http)
            #expect(head.headers.first(name: "Content-Length") == "1000" && body.isEmpty)
            #expect(try await get(server.baseURL + "/bytes/0", with: http).1.isEmpty)
            #expect(try await server.connections() - 1 == 1)
        }
    }

    @Test func aBodyThatEndsWithItsConnectionIsReadToTheEndAndTheConnectionNotReused() async throws {
        try await withServer { server, http throws in
            #expect(try await get(server.baseURL + "/until-close/123456", with: http).1 == Array(Self.pattern[..<123_456]))
            #expect(try await get(server.baseURL + "/bytes/10", with: http).1.count == 10)
            #expect(try await server.connections() - 1 == 2)
        }
    }

    @Test func aKeptAliveConnectionTheServerClosedIsReplacedWithoutAFailure() async throws {
        try await withServer { server, http throws in
            #expect(try await get(server.baseURL + "/then-close", with: http).1 == Array("bye".utf8))
            // The server closed it unsaid, after the answer; the client learns it on its next try.
            for _ in 0..<3 {
                #expect(try await get(server.baseURL + "/bytes/5", with: http).1.count == 5)
            }
            #expect(try await server.connections() - 1 == 2)
        }
    }

    @Test func aBodyLeftUnreadClosesItsConnectionAndTheNextRequestOpensAnother() async throws {
        try await withServer { server, http throws in
            do {
                let response = try await http.execute(HTTPRequest(url: server.baseURL + "/bytes/300000"), deadline: .now() + Self.patience)
                var iterator = response.body.makeAsyncIterator()
                #expect(try await iterator.next() != nil)
            }
            #expect(try await get(server.baseURL + "/bytes/7", with: http).1 == Array(Self.pattern[..<7]))
            #expect(try await server.connections() - 1 == 2)
        }
    }

    @Test func aServerThatFallsSilentFailsByTheReadTimeout() async throws {
        try await withServer(readTimeout: .milliseconds(300)) { server, http throws in
            let start = ContinuousClock.now
            await #expect(throws: HTTPClientError.readTimeout) { try await get(server.baseURL + "/stall", with: http) }
            // The server is silent for 30 s.
            #expect(ContinuousClock.now - start < .seconds(15))
        }
    }

    @Test func aCancelledReaderStopsWaitingAtOnceAndItsConnectionIsNotReused() async throws {
        try await withServer(readTimeout: .seconds(60)) { server, http throws in
            let start = ContinuousClock.now
            // The answer's head and 5 of its 10 bytes come, then the server is silent for 30 s.
            let reading = Task { try await get(server.baseURL + "/stall", with: http, within: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(500))
            reading.cancel()
            await #expect(throws: CancellationError.self) { try await reading.value }
            #expect(ContinuousClock.now - start < .seconds(10))
            #expect(try await get(server.baseURL + "/bytes/4", with: http).1 == Array(Self.pattern[..<4]))
            #expect(try await server.connections() - 1 == 2)
        }
    }

    @Test func aReaderThatPausesIsNotASilentServer() async throws {
        try await withServer(readTimeout: .milliseconds(300)) { server, http throws in
            let response = try await http.execute(HTTPRequest(url: server.baseURL + "/bytes/300000"), deadline: .now() + Self.patience)
            var received: [UInt8] = []
            for try await piece in response.body {
                if received.isEmpty { try await Task.sleep(for: .seconds(1)) }
                received += piece.readableBytesView
            }
            #expect(received == Self.pattern)
        }
    }

    @Test func theDeadlineBoundsTheBodyAsWellAsTheHead() async throws {
        try await withServer { server, http throws in
            let start = ContinuousClock.now
            await #expect(throws: HTTPClientError.deadlineExceeded) {
                try await get(server.baseURL + "/trickle/400", with: http, within: .milliseconds(500))
            }
            // The body alone takes 20 s.
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test func streamsARequestBodyWithItsLengthOrChunked() async throws {
        try await withServer { server, http throws in
            let pieces = stride(from: 0, to: Self.pattern.count, by: 70_000).map {
                ByteBuffer(bytes: Self.pattern[$0..<min($0 + 70_000, Self.pattern.count)])
            }
            let expected = String(SHA256.digest(of: Self.pattern).description.dropFirst("sha256:".count))
            for length in [Int64(Self.pattern.count), nil] {
                var request = HTTPRequest(url: server.baseURL + "/echo", method: .PUT)
                request.body = .stream(pieces.async, length: length)
                let response = try await http.execute(request, deadline: .now() + Self.patience)
                let echo = try JSONDecoder().decode(Echo.self, from: Data(try await response.body.collect(upTo: 4096).readableBytesView))
                #expect(echo == Echo(length: Self.pattern.count, sha256: expected, chunked: length == nil))
            }
            #expect(try await server.connections() - 1 == 1)
        }
    }

    @Test func aStreamLongerOrShorterThanItsLengthFailsAndItsConnectionIsClosed() async throws {
        try await withServer { server, http throws in
            for (announced, sent) in [(Int64(10), 11), (Int64(12), 11)] {
                var request = HTTPRequest(url: server.baseURL + "/echo", method: .PUT)
                request.body = .stream([ByteBuffer(repeating: 1, count: sent)].async, length: announced)
                await #expect(throws: HTTPClientError.bodyLengthMismatch(announced: announced, sent: Int64(sent))) {
                    _ = try await http.execute(request, deadline: .now() + Self.patience)
                }
            }
            #expect(try await get(server.baseURL + "/bytes/3", with: http).1.count == 3)
        }
    }

    @Test func anAnswerThatComesBeforeTheBodyIsSentIsReadNotWaitedBehindIt() async throws {
        try await withServer { server, http throws in
            // 64 MiB that the server never reads: more than any socket buffers hold.
            let endless = AsyncStream<ByteBuffer> { continuation in
                for _ in 0..<1024 { continuation.yield(ByteBuffer(repeating: 0, count: 1 << 16)) }
                continuation.finish()
            }
            var request = HTTPRequest(url: server.baseURL + "/refuse", method: .PUT)
            request.body = .stream(endless, length: 1 << 26)
            let response = try await http.execute(request, deadline: .now() + Self.patience)
            #expect(response.status == .payloadTooLarge)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "too large")
        }
    }

    @Test func requestsBeyondTheConnectionLimitWaitTheirTurn() async throws {
        try await withServer(connections: 2) { server, http throws in
            try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for _ in 0..<6 { group.addTask { try await get(server.baseURL + "/slow/100", with: http).1 } }
                for try await body in group { #expect(body == Array("ok".utf8)) }
            }
            #expect(try await server.connections() - 1 == 2)
            // A wait that outlasts the deadline fails by it.
            let held = try await http.execute(HTTPRequest(url: server.baseURL + "/bytes/300000"), deadline: .now() + Self.patience)
            let alsoHeld = try await http.execute(HTTPRequest(url: server.baseURL + "/bytes/300000"), deadline: .now() + Self.patience)
            await #expect(throws: HTTPClientError.deadlineExceeded) {
                try await get(server.baseURL + "/bytes/1", with: http, within: .milliseconds(200))
            }
            _ = (held, alsoHeld)
        }
    }

    @Test func speaksToAUnixSocket() async throws {
        try await withServer(.unix) { server, http throws in
            #expect(try await get(server.baseURL + "/bytes/1000", with: http).1 == Array(Self.pattern[..<1000]))
            #expect(try await get(server.baseURL + "/chunked/5000", with: http).1 == Array(Self.pattern[..<5000]))
        }
    }

    @Test func verifiesTheServersCertificate() async throws {
        let files = try SelfSignedCertificate()
        let server = try await PythonServer(.tls(certificate: files.certificate, key: files.key))
        defer { server.stop() }
        let http = client()
        defer { http.shutdown() }
        // Not among the system's trust roots: refused.
        await #expect(throws: NIOSSLError.self) { try await get(server.baseURL + "/bytes/10", with: http) }
        // Trusted through its own CA, and named as the certificate names it (an address).
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(files.certificate)
        var request = HTTPRequest(url: server.baseURL + "/bytes/10")
        request.tls = try TLSSettings(configuration)
        let response = try await http.execute(request, deadline: .now() + Self.patience)
        #expect(Array(try await response.body.collect(upTo: 100).readableBytesView) == Array(Self.pattern[..<10]))
    }

    @Test(arguments: [
        ("ftp://host/x", "its scheme is not http, https or http+unix"),
        ("http://user:secret@host/x", "it has user information"),
        ("http://host:0/x", "its port is not a number from 1 to 65535"),
        ("http://host:65536/x", "its port is not a number from 1 to 65535"),
        ("http://host:+80/x", "its port is not a number from 1 to 65535"),
        ("http://[::1/x", "its IPv6 address is not closed"),
        ("http:///x", "its host is empty or not a name or an address"),
        ("http://host/a b", "its path has spaces or control characters"),
        ("http+unix://relative.sock/x", "its host is not a socket's path, percent-encoded"),
        ("host/x", "it has no scheme"),
    ])
    func refusesURLsItCannotReach(url: String, reason: String) async throws {
        let http = client()
        defer { http.shutdown() }
        await #expect(throws: HTTPClientError.invalidURL(url, reason: reason)) {
            _ = try await http.execute(HTTPRequest(url: url), deadline: .now() + .seconds(1))
        }
    }
}

struct Echo: Decodable, Equatable {
    var length: Int
    var sha256: String
    var chunked: Bool
}

extension Array where Element: Sendable {
    /// The elements as an asynchronous sequence.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
