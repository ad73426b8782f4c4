import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP/1.1 connection, serving one request at a time: whoever leased it from the
/// ``ConnectionPool`` is its only user until it is released.
///
/// The channel's reading and writing belong to one task of the connection's own, inside
/// `NIOAsyncChannel.executeThenClose`, which closes the channel when the connection is closed or
/// dropped. The leaseholder's calls (``send(_:body:deadline:)``, ``next()``) are commands to that
/// task, served in order; a part of the answer is read only when one is asked for, so a slow
/// reader holds the server back (TCP's backpressure) rather than filling memory.
final class Connection: @unchecked Sendable {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    let key: ConnectionPool.Key
    /// Held so that the pool key's identity of these settings stays unique while the connection lives.
    let tls: TLSSettings?
    /// The NIO channel, for its state, the deadline event and closing it at once.
    private let channel: any NIOCore.Channel
    private let commands: AsyncStream<Command>.Continuation
    private let upload = UploadState()
    /// How many exchanges began on it: from the second on, a failure before the answer may be a
    /// kept-alive connection the server had already closed.
    private(set) var exchanges = 0

    /// What the leaseholder asks of the connection's task.
    enum Command: Sendable {
        /// Write a request; a streamed body goes on being written after the command is served.
        case send(HTTPRequestHead, HTTPRequest.Body?, CheckedContinuation<Void, any Error>)
        /// The next part of the answer; nil when the connection closed.
        case next(CheckedContinuation<HTTPClientResponsePart?, any Error>)

        /// Answers a command that came after the connection's task ended.
        func refuse() {
            switch self {
            case .send(_, _, let sent): sent.resume(throwing: ChannelError.ioOnClosedChannel)
            case .next(let answer): answer.resume(returning: nil)
            }
        }
    }

    /// The streamed body's outcome, shared with the task that writes it.
    final class UploadState: Sendable {
        let state = Mutex<Upload>(.none)
    }

    enum Upload {
        case none
        case running
        case done
        case failed(any Error)
    }

    init(key: ConnectionPool.Key, channel: Channel, tls: TLSSettings?) {
        self.key = key
        self.tls = tls
        self.channel = channel.channel
        let (stream, commands) = AsyncStream.makeStream(of: Command.self)
        self.commands = commands
        Task { [upload] in await Self.serve(stream, on: channel, upload: upload) }
    }

    var isActive: Bool { channel.isActive }

    /// Starts an exchange: the deadline armed, the request written. A streamed body is written by
    /// a task of its own, so that an answer that comes before the body is all sent (an error, say)
    /// is read rather than waited behind it.
    func send(_ head: HTTPRequestHead, body: HTTPRequest.Body?, deadline: NIODeadline) async throws {
        exchanges += 1
        upload.state.withLock { $0 = .none }
        try await channel.triggerUserOutboundEvent(
            TimeoutHandler.Deadline(deadline: deadline == .distantFuture ? nil : deadline)
        ).get()
        try await withCheckedThrowingContinuation { submit(.send(head, body, $0)) }
    }

    /// The next part of the answer; nil when the connection closed. A cancelled caller closes
    /// the connection, which ends the wait.
    func next() async throws -> HTTPClientResponsePart? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { submit(.next($0)) }
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Whether the request is all sent: a connection whose request is not cannot serve another.
    var requestIsSent: Bool {
        upload.state.withLock { if case .running = $0 { false } else if case .failed = $0 { false } else { true } }
    }

    /// Why the streamed body failed, when it did: the cause of the connection's closing.
    var uploadFailure: (any Error)? {
        upload.state.withLock { if case .failed(let error) = $0 { error } else { nil } }
    }

    /// Closes the channel at once (a wait for the answer ends) and ends the connection's task.
    func close() {
        channel.close(promise: nil)
        commands.finish()
    }

    deinit {
        close()
    }

    private func submit(_ command: Command) {
        if case .terminated = commands.yield(command) { command.refuse() }
    }

    /// The connection's task: serves the commands in order until the connection is closed or
    /// dropped, then cancels a body still being written and closes the channel.
    private static func serve(_ commands: AsyncStream<Command>, on channel: Channel, upload: UploadState) async {
        try? await channel.executeThenClose { inbound, outbound in
            var parts = inbound.makeAsyncIterator()
            await withDiscardingTaskGroup { uploads in
                for await command in commands {
                    switch command {
                    case .send(let head, let body, let sent):
                        do {
                            switch body?.content {
                            case nil:
                                try await outbound.write(contentsOf: [.head(head), .end(nil)])
                            case .bytes(let bytes):
                                try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(bytes)), .end(nil)])
                            case .stream(let produce):
                                upload.state.withLock { $0 = .running }
                                uploads.addTask {
                                    await write(head, produce, length: body?.length, to: outbound, closing: channel.channel, upload: upload)
                                }
                            }
                            sent.resume()
                        } catch {
                            sent.resume(throwing: error)
                        }
                    case .next(let answer):
                        do {
                            answer.resume(returning: try await parts.next())
                        } catch {
                            answer.resume(throwing: error)
                        }
                    }
                }
                uploads.cancelAll()
            }
        }
    }

    /// Writes a streamed request; a failure (the body's own, or a length other than announced)
    /// closes the channel and is kept as the cause.
    private static func write(
        _ head: HTTPRequestHead, _ produce: HTTPRequest.Body.Producer, length: Int64?,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>, closing channel: any NIOCore.Channel,
        upload: UploadState
    ) async {
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
            channel.close(promise: nil)
        }
    }
}
