import AsyncHTTPClient
import Logging
import NIOHTTP1
import Synchronization

/// The one way requests reach registries and their token services: each is counted, the
/// registry's rate limit noted, and failures retried as the ``RetryPolicy`` says.
final class Transport: Sendable {
    let http: HTTPClient
    let retryPolicy: RetryPolicy
    private let logger: Logger
    private let requests = Atomic<Int>(0)
    private let limits = Mutex<[String: RateLimit]>([:])

    init(http: HTTPClient, retryPolicy: RetryPolicy, logger: Logger) {
        self.http = http
        self.retryPolicy = retryPolicy
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
    /// ``RegistryError/unreachable(registry:url:reason:)``.
    func execute(_ request: HTTPClientRequest, registry: String) async throws -> HTTPClientResponse {
        let retryable = request.method == .GET || request.method == .HEAD
        var retry = 0
        while true {
            requests.add(1, ordering: .relaxed)
            logger.debug("\(request.method) \(request.url)")
            let delay: Duration
            let reason: String
            do {
                // No overall deadline: a large blob may take long; the client's read timeout catches a stall.
                let response = try await http.execute(request, deadline: .distantFuture)
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
                guard retryable, retry + 1 < retryPolicy.attempts else {
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
}
