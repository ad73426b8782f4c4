import HTTP1Client
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import OCIModel
import Synchronization

/// How to reach one registry.
public struct RegistrySettings: Hashable, Sendable {
    /// Plain HTTP instead of HTTPS. Loopback registries always use plain HTTP.
    public var insecure: Bool
    /// The environment variables that hold this registry's credentials (CI secrets), asked
    /// before Docker's config.
    public var credentialVariables: EnvironmentCredentials.Variables?
    /// Registries to ask first for this one's images, in order; the registry itself comes last.
    public var mirrors: [Mirror]

    public init(
        insecure: Bool = false, credentialVariables: EnvironmentCredentials.Variables? = nil, mirrors: [Mirror] = []
    ) {
        self.insecure = insecure
        self.credentialVariables = credentialVariables
        self.mirrors = mirrors
    }
}

/// A client for the OCI distribution API (https://github.com/opencontainers/distribution-spec):
/// manifests, blobs and the auth flows in front of them, over ``HTTPClient``.
///
/// One client is shared by a whole run: it caches tokens per registry and scope, and counts
/// the requests it sends so that callers can prove a warm run made none.
public final class RegistryClient: Sendable {
    let registries: [String: RegistrySettings]
    let authenticator: Authenticator
    /// Where requests, retries and resumed downloads are logged.
    public let logger: Logger
    let transport: Transport
    /// Mirrors that could not be reached during this run: not asked again.
    private let unreachableMirrors = Mutex<Set<Mirror>>([])

    /// - Parameters:
    ///   - httpClient: The HTTP client to use; it must not follow redirects by itself
    ///     (see ``makeHTTPClient(connectionsPerHost:)``), because the registry's credentials
    ///     must not follow a redirect to another host.
    ///   - registries: Per-registry settings, keyed by registry as written in references.
    ///   - credentials: Where Basic credentials come from.
    ///   - retryPolicy: How failed requests and broken downloads are tried again.
    ///   - requestTimeout: How long one request may take in all (manifests, tokens, uploads'
    ///     steps); a blob transfer gets this plus the time its size takes at
    ///     ``minimumTransferRate``.
    ///   - logger: Receives one debug line per request and a warning per retry; secrets are
    ///     never logged.
    ///   - userAgent: The `User-Agent` of every request (registries, token services, redirects).
    public convenience init(
        httpClient: HTTPClient,
        registries: [String: RegistrySettings] = [:],
        credentials: any CredentialProvider,
        retryPolicy: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = RegistryClient.defaultRequestTimeout,
        logger: Logger = Logger(label: "swift-images.registry"),
        userAgent: String = "swift-images"
    ) {
        self.init(
            exchange: httpClient, registries: registries, credentials: credentials, retryPolicy: retryPolicy,
            requestTimeout: requestTimeout, logger: logger, userAgent: userAgent)
    }

    /// A client whose requests go to `exchange`: for unit tests of the protocol's logic.
    package init(
        exchange: any HTTPExchange,
        registries: [String: RegistrySettings] = [:],
        credentials: any CredentialProvider,
        retryPolicy: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = RegistryClient.defaultRequestTimeout,
        logger: Logger = Logger(label: "swift-images.registry"),
        userAgent: String = "swift-images"
    ) {
        self.registries = registries
        self.logger = logger
        self.transport = Transport(
            http: exchange, retryPolicy: retryPolicy,
            urlPolicy: URLPolicy(insecureRegistries: Set(registries.filter { $0.value.insecure }.keys)),
            requestTimeout: requestTimeout, userAgent: userAgent, logger: logger)
        self.authenticator = Authenticator(transport: transport, credentials: credentials, logger: logger)
    }

    /// An HTTP client configured for registries: no automatic redirects, no automatic
    /// decompression, bounded connect time, no silent reconnect loops.
    /// - Parameter readTimeout: how long a response may go without a byte before the request
    ///   counts as broken (and a download is resumed).
    public static func makeHTTPClient(connectionsPerHost: Int = 8, readTimeout: Duration = .seconds(60)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectTimeout = .seconds(15)
        configuration.readTimeout = readTimeout
        configuration.connectionsPerDestination = connectionsPerHost
        return HTTPClient(configuration: configuration)
    }

    /// How long one request may take in all by default: 5 minutes.
    public static let defaultRequestTimeout: Duration = .seconds(300)

    /// The slowest transfer rate a blob's deadline allows for: 64 KiB/s.
    public static let minimumTransferRate: Int64 = 64 * 1024

    /// The deadline of one try at moving `size` bytes of a blob: the request timeout, plus the
    /// time those bytes take at ``minimumTransferRate``.
    func transferTimeout(bytes size: Int64) -> Duration {
        transport.requestTimeout + .seconds(max(0, size) / Self.minimumTransferRate)
    }

    /// How failed requests and broken downloads are tried again.
    public var retryPolicy: RetryPolicy { transport.retryPolicy }

    /// How many HTTP requests this client has sent, token requests included.
    public var requestCount: Int { transport.requestCount }

    /// The pull rate limits registries reported (Docker Hub's `RateLimit-*` headers), each as
    /// of its latest answer.
    public var rateLimits: [String: RateLimit] { transport.rateLimits }

    /// `https://host` or, for insecure and loopback registries, `http://host`.
    func baseURL(for registry: String) -> String {
        let host = registry == Reference.dockerHub ? "registry-1.docker.io" : registry
        return (allowsPlainHTTP(registry) ? "http://" : "https://") + host
    }

    /// Runs `fetch` against each mirror of the reference's registry in order, then against the
    /// registry itself: the first answer wins, and a mirror that fails in any way (down, 404,
    /// 5xx, refusing, serving bad content) hands over to the next, after `restart`. A mirror
    /// that could not be reached, even after retries, is skipped for the rest of the run.
    func fromMirrors<T>(
        _ reference: Reference, restart: () async throws -> Void = {}, _ fetch: (Reference) async throws -> T
    ) async throws -> T {
        let mirrors = (registries[reference.registry]?.mirrors ?? []).filter { mirror in
            !unreachableMirrors.withLock { $0.contains(mirror) }
        }
        for mirror in mirrors {
            do {
                let result = try await fetch(mirror.reference(for: reference))
                logger.info("\(reference): served by mirror \(mirror)")
                return result
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if case RegistryError.unreachable = error { unreachableMirrors.withLock { _ = $0.insert(mirror) } }
                logger.warning("mirror \(mirror) could not serve \(reference): \(error); trying the next source")
                try await restart()
            }
        }
        return try await fetch(reference)
    }

    /// Whether plain HTTP may be used with `registry`: marked insecure, or on loopback.
    func allowsPlainHTTP(_ registry: String) -> Bool { transport.urlPolicy.allowsPlainHTTP(registry) }

    // MARK: Requests

    /// Sends one request to the registry API, authenticating as the registry asks: with a
    /// cached token when there is one, otherwise anonymously, and after a 401 once more with
    /// a fresh token (or Basic credentials).
    func send(
        _ method: HTTPMethod,
        registry: String,
        path: String,
        headers: HTTPHeaders = [:],
        body: (() throws -> HTTPRequest.Body)? = nil,
        timeout: Duration? = nil,
        streamed: Bool = false,
        scope: String,
        what: @autoclosure () -> String
    ) async throws -> HTTPResponse {
        try await send(
            method, registry: registry, url: baseURL(for: registry) + path, headers: headers, body: body, timeout: timeout,
            streamed: streamed, scope: scope, what: what())
    }

    /// ``send(_:registry:path:headers:body:scope:what:)`` to a full URL, such as an upload
    /// location the registry gave; its credentials only go along to the registry's own origin.
    /// `body` makes the request's body afresh for each attempt; `timeout` bounds each attempt,
    /// and `streamed` leaves the answer's body for the caller to read (see
    /// ``Transport/execute(_:registry:timeout:streamed:)``).
    func send(
        _ method: HTTPMethod,
        registry: String,
        url: String,
        headers: HTTPHeaders = [:],
        body: (() throws -> HTTPRequest.Body)? = nil,
        timeout: Duration? = nil,
        streamed: Bool = false,
        scope: String,
        what: @autoclosure () -> String
    ) async throws -> HTTPResponse {
        let ownOrigin = Self.sameOrigin(url, baseURL(for: registry))
        var authorization =
            ownOrigin
            ? try await authenticator.authorization(
                registry: registry, scope: scope) : nil
        for attempt in 0..<2 {
            var request = HTTPRequest(url: url)
            request.method = method
            request.headers = headers
            if let body { request.body = try body() }
            if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
            let response = try await transport.execute(request, registry: registry, timeout: timeout, streamed: streamed)
            guard response.status == .unauthorized else { return response }
            let message = await Self.errorMessage(of: response)
            guard attempt == 0, ownOrigin,
                let challenge = response.headers.first(name: "WWW-Authenticate").flatMap(AuthChallenge.init(header:))
            else {
                throw RegistryError.accessDenied(registry: registry, what: what(), message: message)
            }
            authorization = try await authenticator.authorize(
                registry: registry,
                scope: scope,
                challenge: challenge,
                rejected: authorization
            )
        }
        preconditionFailure("the loop returns or throws")
    }

    /// The registry's own explanation of a failed request: `CODE: message` from the
    /// distribution error body, else the start of the body, else the status; at most 300
    /// characters, control characters escaped.
    static func errorMessage(of response: HTTPResponse) async -> String {
        let body =
            (try? await Transport.collect(response.body, upTo: 64 * 1024, by: .now + .seconds(10), timeout: .seconds(10)))
            ?? ByteBuffer()
        let message = message(Data(body.readableBytesView), status: response.status)
        // The registry's words, shown as words: no control characters, no page of text.
        let shown = message.count > 300 ? message.prefix(300) + "…" : message
        return shown.escapingControlCharacters()
    }

    private static func message(_ bytes: Data, status: HTTPResponseStatus) -> String {
        struct ErrorBody: Decodable {
            struct Entry: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Entry]?
        }
        if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: bytes), let errors = decoded.errors, !errors.isEmpty {
            return errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
        }
        let said = "HTTP \(status.code) \(status.reasonPhrase)"
        let text = String(decoding: bytes.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // Bytes that are not UTF-8 (a blob where words were expected) are not quoted; the last
        // character may be one the 200-byte cut split.
        guard !text.unicodeScalars.dropLast().contains("\u{FFFD}") else { return said + ", with a body that is not text" }
        return text.isEmpty ? said : text
    }
}

extension Duration {
    /// `0.7 s`, `12 s`.
    var spoken: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds < 10 ? String(format: "%.1f s", seconds) : "\(Int(seconds.rounded())) s"
    }
}

/// A short, readable reason for a transport error.
func describe(_ error: any Error) -> String {
    if let unknown = unresolvedHost(error) {
        return "cannot resolve the host name \(unknown.host) (\(unknown.errorDescription))"
    }
    if let error = error as? HTTPClientError { return error.description }
    let text = String(describing: error)
    if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused" }
    if text.contains("connectTimeout") { return "connection timed out" }
    if text.contains("Connection reset by peer") { return "connection reset by peer" }
    return text
}

/// The name lookup that failed, when `error` is a connection that failed only because its host
/// name did not resolve.
func unresolvedHost(_ error: any Error) -> SocketAddressError.UnknownHost? {
    guard let error = error as? NIOConnectionError, error.connectionErrors.isEmpty else { return nil }
    return (error.dnsAError ?? error.dnsAAAAError) as? SocketAddressError.UnknownHost
}
