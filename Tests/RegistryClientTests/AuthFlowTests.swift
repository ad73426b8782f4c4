import HTTP1Client
import Foundation
import NIOCore
import NIOHTTP1
import OCIModel
import Synchronization
import Testing

@testable import RegistryClient

/// The Bearer token flow (distribution's `docs/spec/auth/token.md`) and the retries in front of
/// it, against scripted answers: which requests go out, with what, and how often.
@Suite struct AuthFlowTests {
    static let reference = Reference(registry: "127.0.0.1:5000", repository: "test/app", tag: "1", digest: nil)
    static let manifest = Array(
        #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#
            .utf8)
    static let challenge =
        #"Bearer realm="http://127.0.0.1:5001/token",service="registry",scope="repository:test/app:pull""#

    static func manifestAnswer() -> HTTPResponse {
        HTTPResponse(
            status: .ok,
            headers: [
                "Content-Type": MediaType.ociManifest, "Docker-Content-Digest": SHA256.digest(of: manifest).description,
            ],
            body: .bytes(ByteBuffer(bytes: manifest)))
    }

    static func token(_ value: String) -> HTTPResponse {
        HTTPResponse(status: .ok, body: .bytes(ByteBuffer(string: #"{"token": "\#(value)", "expires_in": 300}"#)))
    }

    @Test func aChallengeGetsOneTokenForTheScopeAndTheTokenIsKept() async throws {
        let exchange = ScriptedExchange { request, _ in
            if request.url.hasPrefix("http://127.0.0.1:5001/token") { return Self.token("t1") }
            guard request.header("Authorization") == "Bearer t1" else {
                return HTTPResponse(status: .unauthorized, headers: ["WWW-Authenticate": Self.challenge])
            }
            return Self.manifestAnswer()
        }
        let client = exchange.client()
        _ = try await client.fetchManifest(Self.reference)
        _ = try await client.fetchManifest(Self.reference)
        let sent = exchange.requests
        #expect(sent.map(\.url).filter { $0.contains("/token") }.count == 1)
        let tokenURL = try #require(URLComponents(string: sent[1].url))
        #expect(tokenURL.queryItems?.contains(URLQueryItem(name: "scope", value: "repository:test/app:pull")) == true)
        #expect(tokenURL.queryItems?.contains(URLQueryItem(name: "service", value: "registry")) == true)
        // Anonymous, then with the token; the second fetch sends the kept token at once.
        #expect(sent.map { $0.header("Authorization") } == [nil, nil, "Bearer t1", "Bearer t1"])
    }

    @Test func aTokenRefusedIsRenewedOnceAndThenTheRefusalStands() async throws {
        let exchange = ScriptedExchange { request, _ in
            if request.url.hasPrefix("http://127.0.0.1:5001/token") { return Self.token("refused") }
            return HTTPResponse(
                status: .unauthorized, headers: ["WWW-Authenticate": Self.challenge],
                body: .bytes(ByteBuffer(string: #"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)))
        }
        await #expect {
            try await exchange.client().fetchManifest(Self.reference)
        } throws: { error in
            guard case RegistryError.accessDenied(_, _, let message) = error else { return false }
            return message == "UNAUTHORIZED: authentication required"
        }
        #expect(exchange.requests.filter { $0.url.contains("/v2/") }.count == 2)
    }

    @Test func a503IsRetriedAndA404IsNot() async throws {
        let unavailable = ScriptedExchange { _, number in
            number == 0 ? HTTPResponse(status: .serviceUnavailable) : Self.manifestAnswer()
        }
        _ = try await unavailable.client().fetchManifest(Self.reference)
        #expect(unavailable.requests.count == 2)

        let missing = ScriptedExchange { _, _ in HTTPResponse(status: .notFound) }
        await #expect(throws: RegistryError.self) { try await missing.client().fetchManifest(Self.reference) }
        #expect(missing.requests.count == 1)
    }
}

/// What a failed request is said with: the registry's own words, its status when it has none,
/// and never a binary body quoted as text.
@Suite struct ErrorMessageTests {
    static func message(_ status: HTTPResponseStatus, _ body: [UInt8]) async -> String {
        await RegistryClient.errorMessage(of: HTTPResponse(status: status, body: .bytes(ByteBuffer(bytes: body))))
    }

    @Test func theRegistrysWordsItsStatusOrNotABinaryBody() async {
        let distribution = Array(#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.utf8)
        #expect(await Self.message(.notFound, distribution) == "MANIFEST_UNKNOWN: manifest unknown")
        #expect(await Self.message(.badGateway, Array("  upstream timed out\n".utf8)) == "upstream timed out")
        #expect(await Self.message(.serviceUnavailable, []) == "HTTP 503 Service Unavailable")
        let blob = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 128) }
        #expect(await Self.message(.partialContent, blob) == "HTTP 206 Partial Content, with a body that is not text")
        // Text cut inside a character at the 200th byte is still text.
        let words = Array((String(repeating: "a", count: 199) + "é and more").utf8)
        #expect(await Self.message(.badRequest, words) == String(repeating: "a", count: 199) + "\u{FFFD}")
        // Control characters are shown escaped, not sent to the terminal.
        #expect(await Self.message(.badRequest, Array("bad\u{1B}[31m".utf8)) == #"bad\u{1B}[31m"#)
    }
}
