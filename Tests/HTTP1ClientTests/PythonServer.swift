import Foundation
import HTTP1Client
import NIOCore

/// CPython's `http.server`, scripted by `http_server.py` (its paths are listed there), on a
/// free loopback port or a unix socket, for as long as a test runs.
final class PythonServer: Sendable {
    /// `http://127.0.0.1:PORT`, `https://…`, or `http+unix://SOCKET`.
    let baseURL: String
    private let process: Process
    private let directory: URL

    enum Kind {
        case tcp
        case tls(certificate: String, key: String)
        case unix
    }

    init(_ kind: Kind = .tcp) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-server-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let addressFile = directory.appendingPathComponent("address").path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("http_server.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        switch kind {
        case .tcp: process.arguments = ["python3", script, "tcp", addressFile]
        case .tls(let certificate, let key): process.arguments = ["python3", script, "tcp", addressFile, certificate, key]
        case .unix: process.arguments = ["python3", script, "unix", addressFile]
        }
        try process.run()
        var address: String?
        for _ in 0..<200 where address == nil {
            address = try? String(contentsOfFile: addressFile, encoding: .utf8)
            if address == nil { try await Task.sleep(for: .milliseconds(25)) }
        }
        guard let address else {
            process.terminate()
            throw ServerDidNotStart()
        }
        baseURL =
            switch kind {
            case .tcp: "http://\(address)"
            case .tls: "https://\(address)"
            case .unix: "http+unix://\(address.percentEncodedAsHost)"
            }
    }

    struct ServerDidNotStart: Error {}

    /// How many connections the server accepted.
    func connections(using client: HTTPClient = HTTPClient()) async throws -> Int {
        let response = try await client.execute(HTTPRequest(url: baseURL + "/stats"), deadline: .now() + HTTPClientTests.patience)
        let body = try await response.body.collect(upTo: 1024)
        struct Stats: Decodable { var connections: Int }
        return try JSONDecoder().decode(Stats.self, from: Data(body.readableBytesView)).connections
    }

    func stop() {
        // Killed, not waited for: Foundation reaps it (its wait needs a run loop a test does not turn).
        kill(process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A self-signed certificate for 127.0.0.1, made by `openssl`, and its key.
struct SelfSignedCertificate {
    let certificate: String
    let key: String

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certificate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificate = directory.appendingPathComponent("cert.pem").path
        key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw OpenSSLFailed() }
    }

    struct OpenSSLFailed: Error {}
}
