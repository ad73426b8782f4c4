/// Why ``HTTPClient`` could not complete a request, beyond what the connection itself reports
/// (NIO's connection and TLS errors pass through as they are).
public enum HTTPClientError: Error, Equatable, CustomStringConvertible {
    /// A URL the client cannot send a request to.
    case invalidURL(String, reason: String)
    /// Nothing arrived for the read timeout while an answer was awaited.
    case readTimeout
    /// The answer, its body included, did not complete by the request's deadline.
    case deadlineExceeded
    /// The connection closed before the answer's head came.
    case closedBeforeAnswer
    /// The connection closed before the body's end.
    case closedBeforeBodyEnded
    /// A streamed request body sent more or fewer bytes than its announced length.
    case bodyLengthMismatch(announced: Int64, sent: Int64)
    /// The client was shut down.
    case shutDown

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): "cannot send a request to \(url): \(reason)"
        case .readTimeout: "nothing came within the read timeout"
        case .deadlineExceeded: "the answer did not complete by the request's deadline"
        case .closedBeforeAnswer: "the connection closed before the answer came"
        case .closedBeforeBodyEnded: "the connection closed before the body ended"
        case .bodyLengthMismatch(let announced, let sent): "the request body was \(sent) bytes, not the \(announced) announced"
        case .shutDown: "the HTTP client was shut down"
        }
    }
}
