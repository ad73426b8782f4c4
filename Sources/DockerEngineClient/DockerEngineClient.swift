import HTTP1Client
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A client for the Docker Engine API (https://docs.docker.com/reference/api/engine/) over its
/// unix socket, or TCP with or without TLS, with the API version negotiated through `GET /_ping`.
public final class DockerEngineClient: Sendable {
    /// The oldest API this client uses: Docker 20.10.
    public static let minimumAPIVersion = "1.41"

    /// Where the daemon listens and where that came from.
    public let endpoint: EngineEndpoint
    /// Where the daemon listens: `unix:///…` or `tcp://…`.
    public var host: String { endpoint.host }
    let baseURL: String
    let http: HTTPClient
    /// The TLS settings of every request, when the daemon speaks TLS.
    private let tls: TLSSettings?
    private let negotiated: APIVersionCache

    /// - Parameters:
    ///   - endpoint: where the daemon listens (see ``EngineEndpoint/resolve(environment:)``).
    ///   - httpClient: shared with the registry client if you like; it is not shut down here.
    /// - Throws: ``EngineError/unusableEndpoint(origin:reason:)`` when the TLS files cannot be read.
    public init(endpoint: EngineEndpoint, httpClient: HTTPClient) throws {
        let endpoint = try EngineEndpoint.checked(endpoint)
        if endpoint.host.hasPrefix("unix://") {
            let path = String(endpoint.host.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw EngineError.unsupportedHost(host: endpoint.host, origin: endpoint.origin) }
            baseURL = "http+unix://" + path.percentEncodedAsHost
            tls = nil
        } else {
            baseURL = (endpoint.tls == nil ? "http://" : "https://") + endpoint.host.dropFirst("tcp://".count)
            tls = try endpoint.tls.map { try Self.configuration($0, origin: endpoint.origin) }
        }
        self.endpoint = endpoint
        self.http = httpClient
        self.negotiated = APIVersionCache()
    }

    /// - Parameters:
    ///   - host: `unix:///path/docker.sock` or `tcp://host:port`, without TLS; nil means
    ///     wherever `environment` and Docker's configuration point (see ``EngineEndpoint``).
    public convenience init(
        host: String?, httpClient: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let endpoint = try host.map { EngineEndpoint(host: $0, origin: "given") } ?? EngineEndpoint.resolve(environment: environment)
        try self.init(endpoint: endpoint, httpClient: httpClient)
    }

    /// Verifies the daemon against the CA (else the system's roots), and presents the client's
    /// certificate when there is one.
    private static func configuration(_ files: EngineEndpoint.TLSFiles, origin: String) throws -> TLSSettings {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        do {
            if let ca = files.ca { configuration.trustRoots = .file(ca) }
            if let certificate = files.certificate, let key = files.key {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            return try TLSSettings(configuration)
        } catch {
            throw EngineError.unusableEndpoint(origin: origin, reason: "its TLS files cannot be read: \(error)")
        }
    }

    /// Whether the daemon listens on this machine (a unix socket, or TCP on loopback), so that
    /// it may reach a server we start on loopback. A daemon inside a VM (Docker Desktop) also
    /// has a local socket and cannot: callers must be ready for that.
    public var isOnThisMachine: Bool {
        guard host.hasPrefix("tcp://") else { return true }
        let address = host.dropFirst("tcp://".count)
        return address.hasPrefix("127.") || address.hasPrefix("localhost:") || address.hasPrefix("[::1]:")
    }

    /// The API version both sides speak: the daemon's, from `GET /_ping`, asked once.
    public func apiVersion() async throws -> String { try await info().apiVersion }

    /// How messages name the engine: `Podman 4.3.1`, `Docker 26.1.5`; `the engine` when it did not say.
    public func name() async -> String {
        (try? await info().description) ?? "the engine"
    }

    /// What answered `GET /_ping` (asked once): its API version, and Docker or Podman with its version.
    public func info() async throws -> EngineInfo {
        try await negotiated.value {
            let response = try await self.execute(HTTPRequest(url: self.baseURL + "/_ping"), what: "GET /_ping")
            guard response.status == .ok else {
                let message = await Self.message(of: response)
                if self.tls == nil, response.status == .badRequest, message.contains("HTTPS server") {
                    throw EngineError.unusableEndpoint(
                        origin: self.endpoint.description,
                        reason: "the daemon speaks TLS; set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the directory "
                            + "with its ca.pem (and the client's cert.pem and key.pem)")
                }
                throw EngineError.daemon(
                    engine: "the engine at \(self.endpoint)", what: "GET /_ping", status: response.status.code, message: message)
            }
            guard let version = response.headers.first(name: "Api-Version") else {
                throw EngineError.daemon(
                    engine: "the engine at \(self.endpoint)", what: "GET /_ping", status: 200,
                    message: "no Api-Version header; is this a Docker or Podman engine?")
            }
            guard Self.compare(version, Self.minimumAPIVersion) >= 0 else {
                throw EngineError.apiTooOld(host: self.host, version: version, minimum: Self.minimumAPIVersion)
            }
            return EngineInfo(apiVersion: version, headers: response.headers)
        }
    }

    /// Sends a request to `/v{version}{path}`.
    func send(_ method: HTTPMethod, _ path: String, body: HTTPRequest.Body? = nil, headers: HTTPHeaders = [:]) async throws
        -> HTTPResponse
    {
        let version = try await apiVersion()
        var request = HTTPRequest(url: "\(baseURL)/v\(version)\(path)")
        request.method = method
        request.headers = headers
        request.body = body
        return try await execute(request, what: "\(method) \(path)")
    }

    /// Sends a request and decodes a JSON answer; 404 is nil.
    func json<T: Decodable>(_ type: T.Type, _ path: String, what: String) async throws -> T? {
        let response = try await send(.GET, path)
        if response.status == .notFound { return nil }
        guard response.status == .ok else {
            throw EngineError.daemon(
                engine: await name(), what: what, status: response.status.code, message: await Self.message(of: response))
        }
        let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return try Self.decoder.decode(T.self, from: Data(body.readableBytesView))
    }

    func execute(_ request: HTTPRequest, what: String) async throws -> HTTPResponse {
        var request = request
        // The daemon wants a Host header, which a unix socket URL has no host for.
        if tls == nil, !request.headers.contains(name: "Host") { request.headers.add(name: "Host", value: "docker") }
        request.tls = tls
        do {
            return try await http.execute(request, deadline: .distantFuture)
        } catch {
            var reason = "\(what): \(Self.explain(error))"
            if endpoint.isDefault {
                reason += (reason.hasSuffix("?") ? " " : ". ") + "Nothing named another engine: for Podman, Colima, Docker Desktop or a remote daemon, "
                reason += "set DOCKER_HOST (unix:///run/podman/podman.sock, tcp://HOST:2376 with DOCKER_TLS_VERIFY=1) "
                reason += "or choose a Docker context (DOCKER_CONTEXT, 'docker context use NAME')"
            }
            throw EngineError.unreachable(endpoint: endpoint.description, reason: reason)
        }
    }

    /// What a failed connection means, in words rather than the socket call's.
    static func explain(_ error: any Error) -> String {
        if error is NIOSSLError || error is BoringSSLError {
            return String(describing: error).contains("CERTIFICATE_VERIFY_FAILED")
                ? "its TLS certificate does not verify against the CA given (ca.pem), or does not name this address"
                : "the TLS handshake failed; does the daemon take this client's certificate (cert.pem, key.pem)?"
        }
        return switch (error as? IOError)?.errnoCode {
        case ENOENT: "there is no socket there; is the daemon running?"
        case ECONNREFUSED: "nothing listens there (connection refused); is the daemon running?"
        case EACCES: "permission denied; may this user use the daemon (the docker group)?"
        default: "\(error)"
        }
    }

    /// Reads the daemon's PascalCase keys (`Id`, `RepoTags`, `ImageID`) into camelCase properties
    /// (`id`, `repoTags`, `imageID`).
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last!.stringValue
            return PascalCaseKey(stringValue: key.prefix(1).lowercased() + key.dropFirst())
        }
        return decoder
    }()

    /// The daemon's `message` from an error answer.
    static func message(of response: HTTPResponse) async -> String {
        let body = (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
        struct Message: Decodable { var message: String }
        if let decoded = try? JSONDecoder().decode(Message.self, from: Data(body.readableBytesView)) {
            return decoded.message
        }
        let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP \(response.status.code)" : text
    }

    /// Compares dotted versions numerically: `1.41` < `1.44` < `1.100`.
    static func compare(_ a: String, _ b: String) -> Int {
        let left = a.split(separator: ".").map { Int($0) ?? 0 }
        let right = b.split(separator: ".").map { Int($0) ?? 0 }
        for (x, y) in zip(left, right) where x != y { return x < y ? -1 : 1 }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }
}

/// Asks what the engine is once, whoever asks first.
private actor APIVersionCache {
    private var task: Task<EngineInfo, any Error>?

    func value(_ compute: @escaping @Sendable () async throws -> EngineInfo) async throws -> EngineInfo {
        if let task { return try await task.value }
        let task = Task { try await compute() }
        self.task = task
        return try await task.value
    }
}

/// What answered: the API version it speaks, and the product and version its `Server` header
/// names (`Docker/26.1.5 (linux)`; Podman's says `Libpod/4.3.1 (linux)`).
public struct EngineInfo: Sendable, Equatable, CustomStringConvertible {
    public var apiVersion: String
    /// `Docker` or `Podman`.
    public var product: String
    public var version: String?

    public var isPodman: Bool { product == "Podman" }

    /// `Podman 4.3.1`, `Docker 20.10.24+dfsg1`.
    public var description: String { version.map { "\(product) \($0)" } ?? product }

    init(apiVersion: String, headers: HTTPHeaders) {
        self.apiVersion = apiVersion
        let server = headers.first(name: "Server") ?? ""
        let name = server.split(separator: " ").first?.split(separator: "/", maxSplits: 1) ?? []
        let podman = headers.contains(name: "Libpod-Api-Version") || name.first == "Libpod"
        product = podman ? "Podman" : "Docker"
        version = name.count == 2 ? String(name[1]).escapingControlCharacters() : nil
    }
}

private struct PascalCaseKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
