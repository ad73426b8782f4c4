import NIOCore
import NIOHTTP1

/// Bounds an exchange in time: the answer must not pause longer than the read timeout while it
/// is awaited (after the request's end is written, and whenever the reader wants more), and must
/// end by the request's deadline (``Deadline``, sent as an outbound user event). Either failure
/// is raised in the pipeline and closes the connection.
///
/// It sits just before `NIOAsyncChannel`'s handler, so it sees only the reads that handler lets
/// through: a reader who stops to write what came (backpressure) is not a silent server.
final class TimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// The time by which the exchange under way must end; nil for none.
    struct Deadline: Sendable {
        var deadline: NIODeadline?
    }

    private let readTimeout: TimeAmount
    /// From the request's end written to the answer's end read.
    private var awaitingAnswer = false
    private var readTimer: Scheduled<Void>?
    private var deadlineTimer: Scheduled<Void>?

    init(readTimeout: TimeAmount) {
        self.readTimeout = readTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            awaitingAnswer = true
            armReadTimer(context: context)
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if awaitingAnswer { armReadTimer(context: context) }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readTimer?.cancel()
        readTimer = nil
        if case .end = unwrapInboundIn(data) {
            awaitingAnswer = false
            deadlineTimer?.cancel()
            deadlineTimer = nil
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? Deadline else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        deadlineTimer?.cancel()
        deadlineTimer = event.deadline.map { deadline in
            context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                fail(context: context, with: .deadlineExceeded)
            }
        }
        promise?.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
    }

    private func armReadTimer(context: ChannelHandlerContext) {
        guard readTimer == nil else { return }
        readTimer = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) { [self] in
            fail(context: context, with: .readTimeout)
        }
    }

    private func fail(context: ChannelHandlerContext, with error: HTTPClientError) {
        cancelTimers()
        awaitingAnswer = false
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func cancelTimers() {
        readTimer?.cancel()
        readTimer = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
    }
}
