import NIOCore
import NIOHTTP1
import NIOSSL

/// A request for ``HTTPClient``: where it goes, how, and what it sends.
public struct HTTPRequest: Sendable {
    /// `http://HOST[:PORT]/…`, `https://…`, or `http+unix://SOCKET/…` with the socket's path
    /// percent-encoded as the host (`http+unix://%2Frun%2Fdocker.sock/_ping`).
    public var url: String
    public var method: HTTPMethod
    public var headers: HTTPHeaders
    public var body: Body?
    /// How to speak TLS to an `https` URL; the system's trust roots, fully verified, when nil.
    public var tls: TLSSettings?

    public init(url: String, method: HTTPMethod = .GET, headers: HTTPHeaders = [:], body: Body? = nil) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }

    /// What a request sends: bytes at hand, or a stream written as it is produced, with its
    /// length when known (`Content-Length`) and chunked otherwise.
    public struct Body: Sendable {
        /// Writes a streamed body, chunk by chunk, through the function it is given.
        typealias Producer = @Sendable (_ write: (ByteBuffer) async throws -> Void) async throws -> Void

        enum Content: Sendable {
            case bytes(ByteBuffer)
            case stream(Producer)
        }

        let content: Content
        /// The number of bytes it sends, when known before sending.
        public let length: Int64?

        /// Bytes at hand.
        public static func bytes(_ buffer: ByteBuffer) -> Body {
            Body(content: .bytes(buffer), length: Int64(buffer.readableBytes))
        }

        /// A stream, read once as the request is sent. A stream that ends up longer or shorter
        /// than `length` fails the request (``HTTPClientError/bodyLengthMismatch(announced:sent:)``)
        /// and its connection is closed.
        public static func stream<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks, length: Int64?) -> Body
        where Chunks.Element == ByteBuffer {
            Body(
                content: .stream { write in
                    for try await chunk in chunks { try await write(chunk) }
                }, length: length)
        }

        /// Whether the same bytes can be sent again (on a fresh connection, when a kept-alive one
        /// turned out closed).
        var isReplayable: Bool {
            if case .bytes = content { return true }
            return false
        }
    }
}

/// TLS settings for ``HTTPRequest/tls``, made once: the context (trust roots, client
/// certificate) is built when these are, not per connection. Connections are pooled per
/// instance, so make one per configuration and keep it.
public final class TLSSettings: Sendable {
    let context: NIOSSLContext

    /// - Throws: what NIOSSL says of a configuration it cannot use (a certificate file that
    ///   does not parse, for one).
    public init(_ configuration: TLSConfiguration) throws {
        context = try NIOSSLContext(configuration: configuration)
    }
}
