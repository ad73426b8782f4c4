import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP/1.1 connection, serving one request at a time: whoever leased it from the
/// ``ConnectionPool`` is its only user until it is released.
///
/// It reads and writes through `NIOAsyncChannel`'s `inbound` and `outbound`, which NIO deprecates
/// in favour of `executeThenClose`: that scope ends with one task, while a pooled connection
/// serves many requests from many tasks. The connection closes its channel itself instead, in
/// ``close()`` and when it is released for good (`deinit`).
final class Connection: @unchecked Sendable {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    let key: ConnectionPool.Key
    let channel: Channel
    /// Held so that the pool key's identity of these settings stays unique while the connection lives.
    let tls: TLSSettings?
    /// Only the leaseholder reads (one task at a time).
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let upload = UploadState()
    /// How many exchanges began on it: from the second on, a failure before the answer may be a
    /// kept-alive connection the server had already closed.
    private(set) var exchanges = 0

    /// The streamed body's task and outcome, shared with that task.
    final class UploadState: Sendable {
        let state = Mutex<Upload>(.none)
    }

    enum Upload {
        case none
        case running(Task<Void, Never>)
        case done
        case failed(any Error)
    }

    init(key: ConnectionPool.Key, channel: Channel, tls: TLSSettings?) {
        self.key = key
        self.channel = channel
        self.tls = tls
        inbound = channel.inbound.makeAsyncIterator()
    }

    var isActive: Bool { channel.channel.isActive }

    /// Starts an exchange: the deadline armed, the request written. A streamed body is written by
    /// a task of its own, so that an answer that comes before the body is all sent (an error, say)
    /// is read rather than waited behind it.
    func send(_ head: HTTPRequestHead, body: HTTPRequest.Body?, deadline: NIODeadline) async throws {
        exchanges += 1
        upload.state.withLock { $0 = .none }
        try await channel.channel.triggerUserOutboundEvent(
            TimeoutHandler.Deadline(deadline: deadline == .distantFuture ? nil : deadline)
        ).get()
        switch body?.content {
        case nil:
            try await channel.outbound.write(contentsOf: [.head(head), .end(nil)])
        case .bytes(let bytes):
            try await channel.outbound.write(contentsOf: [.head(head), .body(.byteBuffer(bytes)), .end(nil)])
        case .stream(let produce):
            let outbound = channel.outbound
            let length = body?.length
            let task = Task { [upload, channel] in
                do {
                    try await outbound.write(.head(head))
                    var sent: Int64 = 0
                    try await produce { chunk in
                        sent += Int64(chunk.readableBytes)
                        if let length, sent > length { throw HTTPClientError.bodyLengthMismatch(announced: length, sent: sent) }
                        try await outbound.write(.body(.byteBuffer(chunk)))
                    }
                    if let length, sent != length { throw HTTPClientError.bodyLengthMismatch(announced: length, sent: sent) }
                    try await outbound.write(.end(nil))
                    upload.state.withLock { $0 = .done }
                } catch {
                    upload.state.withLock { $0 = .failed(error) }
                    channel.channel.close(promise: nil)
                }
            }
            upload.state.withLock { $0 = .running(task) }
        }
    }

    /// The next part of the answer; nil when the connection closed.
    func next() async throws -> HTTPClientResponsePart? {
        try await inbound.next()
    }

    /// Whether the request is all sent: a connection whose request is not cannot serve another.
    var requestIsSent: Bool {
        upload.state.withLock { if case .running = $0 { false } else if case .failed = $0 { false } else { true } }
    }

    /// Why the streamed body failed, when it did: the cause of the connection's closing.
    var uploadFailure: (any Error)? {
        upload.state.withLock { if case .failed(let error) = $0 { error } else { nil } }
    }

    func close() {
        upload.state.withLock { if case .running(let task) = $0 { task.cancel() } }
        channel.channel.close(promise: nil)
    }

    deinit {
        channel.outbound.finish()
        channel.channel.close(promise: nil)
    }
}
