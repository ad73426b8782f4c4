import HTTP1Client
import NIOCore
import NIOHTTP1
import Synchronization

@testable import RegistryClient

/// An exchange that answers each request with what `answer` says, and keeps the requests: a
/// registry reduced to the answers a test needs, for the client's logic without a server (the
/// integration tests meet the real registry).
final class ScriptedExchange: HTTPExchange {
    private let answer: @Sendable (_ request: HTTPRequest, _ number: Int) async throws -> HTTPResponse
    private let log = Mutex<[HTTPRequest]>([])

    /// - Parameter answer: the answer to a request, given the request and its number (0 for the first).
    init(_ answer: @escaping @Sendable (_ request: HTTPRequest, _ number: Int) async throws -> HTTPResponse) {
        self.answer = answer
    }

    var requests: [HTTPRequest] { log.withLock { $0 } }

    func send(_ request: HTTPRequest, deadline: NIODeadline) async throws -> HTTPResponse {
        let number = log.withLock { log in
            log.append(request)
            return log.count - 1
        }
        return try await answer(request, number)
    }

    /// A client of this exchange that retries at once (no waits in unit tests).
    func client() -> RegistryClient {
        RegistryClient(
            exchange: self, credentials: CredentialChain([]),
            retryPolicy: RetryPolicy(attempts: 3, initialDelay: .zero, maximumDelay: .zero))
    }
}

/// A body that sends `bytes`, then breaks off as a reset connection does.
func bodyBreakingOff(after bytes: [UInt8]) -> HTTPResponse.Body {
    let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
        continuation.yield(ByteBuffer(bytes: bytes))
        continuation.finish(throwing: ConnectionReset())
    }
    return .stream(stream)
}

struct ConnectionReset: Error {}

extension HTTPRequest {
    /// The value of a header the client sent.
    func header(_ name: String) -> String? { headers.first(name: name) }
}
