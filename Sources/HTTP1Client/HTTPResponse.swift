import NIOCore
import NIOHTTP1

/// An answer from ``HTTPClient``: its status and headers, and its body to read as it arrives.
///
/// The body is read once. Read it to its end and the connection serves the next request; leave
/// it unread (or stop early) and the connection is closed when the response is dropped.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: Body = .bytes(ByteBuffer())) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response body: an `AsyncSequence` of the pieces as they arrive, with backpressure (the
    /// connection reads no further than its reader).
    public struct Body: AsyncSequence, Sendable {
        public typealias Element = ByteBuffer

        enum Source: Sendable {
            case bytes(ByteBuffer)
            case connection(BodyReader)
            case sequence(@Sendable () -> (() async throws -> ByteBuffer?))
        }

        let source: Source

        /// Bytes at hand.
        public static func bytes(_ buffer: ByteBuffer) -> Body { Body(source: .bytes(buffer)) }

        /// Any sequence of pieces (for tests, and for bodies made rather than received).
        public static func stream<Pieces: AsyncSequence & Sendable>(_ pieces: Pieces) -> Body
        where Pieces.Element == ByteBuffer {
            Body(
                source: .sequence {
                    var iterator = pieces.makeAsyncIterator()
                    return { try await iterator.next() }
                })
        }

        public func makeAsyncIterator() -> AsyncIterator {
            switch source {
            case .bytes(let buffer): AsyncIterator(next: .bytes(buffer.readableBytes > 0 ? buffer : nil))
            case .connection(let reader): AsyncIterator(next: .connection(reader))
            case .sequence(let make): AsyncIterator(next: .sequence(make()))
            }
        }

        public struct AsyncIterator: AsyncIteratorProtocol {
            enum Next {
                case bytes(ByteBuffer?)
                case connection(BodyReader)
                case sequence(() async throws -> ByteBuffer?)
            }

            var next: Next

            public mutating func next() async throws -> ByteBuffer? {
                switch next {
                case .bytes(let buffer):
                    next = .bytes(nil)
                    return buffer
                case .connection(let reader): return try await reader.next()
                case .sequence(let read): return try await read()
                }
            }
        }

        /// The whole body, when it is at most `limit` bytes.
        /// - Throws: `NIOTooManyBytesError` when it is longer; the connection's failure when it breaks.
        public func collect(upTo limit: Int) async throws -> ByteBuffer {
            var collected = ByteBuffer()
            for try await piece in self {
                guard collected.readableBytes + piece.readableBytes <= limit else {
                    throw NIOTooManyBytesError(maxBytes: limit)
                }
                collected.writeImmutableBuffer(piece)
            }
            return collected
        }
    }
}
