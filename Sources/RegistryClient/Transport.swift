import HTTP1Client
import NIOCore
import Logging
import NIOHTTP1
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where requests go: ``HTTPClient`` in use; in unit tests, an exchange that
/// answers as a registry would (or would not), so that the protocol's logic (auth, retries,
/// resumed downloads, uploads) is tested without a server.
package protocol HTTPExchange: Sendable {
    func send(_ request: HTTPRequest, deadline: NIODeadline) async throws -> HTTPResponse
}

extension HTTPClient: HTTPExchange {
    package func send(_ request: HTTPRequest, deadline: NIODeadline) async throws -> HTTPResponse {
        try await execute(request, deadline: deadline)
    }
}

/// The one way requests reach registries and their token services: each URL is checked by the
/// ``URLPolicy`` before anything is sent, each request is counted and bounded by a deadline,
/// the registry's rate limit noted, and failures retried as the ``RetryPolicy`` says.
final class Transport: Sendable {
    let http: any HTTPExchange
    let retryPolicy: RetryPolicy
    let urlPolicy: URLPolicy
    /// How long one request may take in all, its body included, unless its caller allows more.
    let requestTimeout: Duration
    private let userAgent: String
    private let logger: Logger
    private let requests = Atomic<Int>(0)
    private let limits = Mutex<[String: RateLimit]>([:])

    init(
        http: any HTTPExchange, retryPolicy: RetryPolicy, urlPolicy: URLPolicy = URLPolicy(insecureRegistries: []),
        requestTimeout: Duration = RegistryClient.defaultRequestTimeout, userAgent: String = "swift-images", logger: Logger
    ) {
        self.http = http
        self.userAgent = userAgent
        self.retryPolicy = retryPolicy
        self.urlPolicy = urlPolicy
        self.requestTimeout = requestTimeout
        self.logger = logger
    }

    /// How many requests were sent, retries included.
    var requestCount: Int { requests.load(ordering: .relaxed) }

    /// Each registry's latest rate limit report.
    var rateLimits: [String: RateLimit] { limits.withLock { $0 } }

    /// Executes a request, counting it, noting the registry's rate limit, and trying a GET or
    /// HEAD again as ``RetryPolicy`` says when the connection fails or the answer is 408, 429 or
    /// 5xx. The last answer is returned whatever its status (so is one whose `Retry-After` is
    /// beyond the policy's patience), except a 429, which throws
    /// ``RegistryError/rateLimited(registry:retryAfter:limit:message:)``. Transport failures become
    /// ``RegistryError/unreachable(registry:url:reason:)``; a URL the ``URLPolicy`` refuses,
    /// ``RegistryError/refusedURL(registry:url:reason:)`` before anything is sent.
    ///
    /// Every try has a deadline. Unless `streamed`, the answer's body is read here, within it,
    /// up to ``bufferedBodyLimit`` bytes (one more tells the caller it is larger), so that no
    /// registry can hold a request open by sending a byte now and then; a streamed body (a
    /// blob) is the caller's to read by the deadline it set.
    /// - Parameter timeout: how long each try may take; ``requestTimeout`` by default.
    func execute(_ request: HTTPRequest, registry: String, timeout: Duration? = nil, streamed: Bool = false)
        async throws -> HTTPResponse
    {
        try urlPolicy.check(request.url, for: registry)
        var request = request
        request.headers.replaceOrAdd(name: "User-Agent", value: userAgent)
        let retryable = request.method == .GET || request.method == .HEAD
        var retry = 0
        while true {
            requests.add(1, ordering: .relaxed)
            logger.debug("\(request.method) \(request.url)")
            let delay: Duration
            let reason: String
            let allowed = timeout ?? requestTimeout
            do {
                let deadline = ContinuousClock.now + allowed
                var response = try await http.send(request, deadline: .now() + HTTPClient.timeAmount(allowed))
                if !streamed {
                    // The body within what is left of the same deadline.
                    response.body = .bytes(
                        try await Self.collect(response.body, upTo: Self.bufferedBodyLimit, by: deadline, timeout: allowed))
                }
                let limit = RateLimit(headers: response.headers)
                if let limit { limits.withLock { $0[registry] = limit } }
                guard RetryPolicy.isRetryable(response.status) else { return response }
                let retryAfter = RetryPolicy.retryAfter(response.headers.first(name: "Retry-After"))
                // No more tries, or a wait longer than the policy's patience: this answer stands.
                let givingUp =
                    !retryable || retry + 1 >= retryPolicy.attempts
                    || (retryAfter ?? .zero) > retryPolicy.maximumRetryAfter
                if response.status == .tooManyRequests, givingUp || (limit?.remaining == 0 && retryAfter == nil) {
                    let message = await RegistryClient.errorMessage(of: response)
                    throw RegistryError.rateLimited(registry: registry, retryAfter: retryAfter, limit: limit, message: message)
                }
                if givingUp { return response }
                let message = await RegistryClient.errorMessage(of: response)
                delay = retryAfter ?? retryPolicy.backoff(retry: retry + 1)
                reason = "answered \(response.status.code) (\(message))"
            } catch let error as RegistryError {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch {
                // The client's deadline is the one set here: say how long it was.
                let error = (error as? HTTPClientError) == .deadlineExceeded ? DeadlineExceeded(timeout: allowed) : error
                // A name that does not exist stays so; a resolver that is down (EAI_AGAIN) may recover.
                let unresolvable = unresolvedHost(error).map { $0.errorCode != Int(EAI_AGAIN) } ?? false
                guard retryable, !unresolvable, retry + 1 < retryPolicy.attempts else {
                    throw RegistryError.unreachable(registry: registry, url: request.url, reason: describe(error))
                }
                delay = retryPolicy.backoff(retry: retry + 1)
                reason = describe(error)
            }
            retry += 1
            logger.warning(
                "\(request.method) \(request.url): \(reason); retry \(retry) of \(retryPolicy.attempts - 1) in \(delay.spoken)"
            )
            try await Task.sleep(for: delay)
        }
    }

    /// The most of a body that is read whole: a manifest at its largest, and one byte more.
    static let bufferedBodyLimit = RegistryClient.manifestSizeLimit + 1

    /// Reads a body whole, up to `limit` bytes, and fails when it is not in by `deadline`
    /// (checked as each piece arrives; the read timeout bounds the wait for a piece).
    /// - Parameter timeout: the allowance the deadline stands for, named in the error.
    static func collect(
        _ body: HTTPResponse.Body, upTo limit: Int, by deadline: ContinuousClock.Instant, timeout: Duration
    ) async throws -> ByteBuffer {
        var buffer = ByteBuffer()
        for try await chunk in body {
            guard ContinuousClock.now < deadline else { throw DeadlineExceeded(timeout: timeout) }
            let wanted = min(chunk.readableBytes, limit - buffer.readableBytes)
            buffer.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex, length: wanted)!)
            if buffer.readableBytes >= limit { break }
        }
        return buffer
    }

    /// An answer that did not complete by its deadline.
    struct DeadlineExceeded: Error, CustomStringConvertible {
        var timeout: Duration
        var description: String { "the answer did not complete within \(timeout.spoken)" }
    }
}
