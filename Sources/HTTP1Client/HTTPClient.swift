import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// An HTTP/1.1 client on swift-nio: kept-alive connections (TCP, TLS or a unix socket) pooled
/// per destination, bodies streamed both ways with backpressure, and every exchange bounded by a
/// connect timeout, a read timeout and its deadline.
///
/// It does what the registry and engine clients need and no more: it never follows a redirect
/// (the caller decides where to go), never decompresses, and speaks neither HTTP/2 nor proxies.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        /// How long opening a connection may take (TLS handshake not included: the read timeout
        /// and the deadline bound that).
        public var connectTimeout: Duration = .seconds(15)
        /// How long an awaited answer may pause before the exchange counts as broken.
        public var readTimeout: Duration = .seconds(60)
        /// How many connections may be open to one destination at once.
        public var connectionsPerDestination = 8

        public init() {}
    }

    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let pool: ConnectionPool
    private let systemTLS = Mutex<TLSSettings?>(nil)

    public init(configuration: Configuration = Configuration(), eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.pool = ConnectionPool(limitPerDestination: configuration.connectionsPerDestination)
    }

    /// Sends a request and returns the answer once its head has come; its body arrives as it is read.
    /// - Parameter deadline: when the whole exchange, the answer's body included, must be over.
    /// - Throws: ``HTTPClientError``; NIO's connection errors (`NIOConnectionError`, `IOError`)
    ///   and TLS errors (`NIOSSLError`); `CancellationError`.
    public func execute(_ request: HTTPRequest, deadline: NIODeadline) async throws -> HTTPResponse {
        let target = try Target(url: request.url)
        let tls = target.isTLS ? try request.tls ?? systemTrust() : nil
        let key = ConnectionPool.Key(address: target.address, tls: tls.map(ObjectIdentifier.init))
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: target.requestTarget, headers: request.headers)
        if !head.headers.contains(name: "Host") { head.headers.add(name: "Host", value: target.hostHeader) }
        head.headers.remove(name: "Transfer-Encoding")
        if let length = request.body?.length {
            head.headers.replaceOrAdd(name: "Content-Length", value: String(length))
        } else if request.body == nil {
            head.headers.remove(name: "Content-Length")
            if [.POST, .PUT, .PATCH].contains(request.method) { head.headers.add(name: "Content-Length", value: "0") }
        }
        var retried = false
        while true {
            try Task.checkCancellation()
            let connection = try await pool.lease(key, deadline: deadline, on: group.next()) {
                try await connect(to: target, key: key, tls: tls, deadline: deadline)
            }
            do {
                return try await exchange(head, body: request.body, method: request.method, on: connection, deadline: deadline)
            } catch let stale as StaleConnection {
                // A kept-alive connection the server had closed: once more, on a fresh one.
                guard !retried, request.body?.isReplayable ?? true else { throw stale.error }
                retried = true
            }
        }
    }

    /// Closes the kept-alive connections; requests after this fail with ``HTTPClientError/shutDown``.
    public func shutdown() {
        pool.shutDown()
    }

    /// A failure before any answer on a connection that had served an earlier exchange.
    private struct StaleConnection: Error {
        var error: any Error
    }

    private func exchange(
        _ head: HTTPRequestHead, body: HTTPRequest.Body?, method: HTTPMethod, on connection: Connection, deadline: NIODeadline
    ) async throws -> HTTPResponse {
        let reused = connection.exchanges > 0
        let answer: HTTPResponseHead
        do {
            answer = try await withTaskCancellationHandler {
                try await connection.send(head, body: body, deadline: deadline)
                return try await readHead(on: connection)
            } onCancel: {
                connection.close()
            }
        } catch {
            if Task.isCancelled {
                pool.release(connection, reusable: false)
                throw CancellationError()
            }
            // Found before the connection goes back to the pool, which ends it.
            let error = if let failure = connection.uploadFailure { failure } else { await cause(of: error, on: connection) }
            pool.release(connection, reusable: false)
            // A reset or a close before any answer; not a timeout, which a fresh connection would not mend.
            let closedEarly = (error as? HTTPClientError).map { $0 == .closedBeforeAnswer } ?? true
            if reused, closedEarly { throw StaleConnection(error: error) }
            throw error
        }
        let reader = BodyReader(connection: connection, pool: pool, keepAlive: answer.isKeepAlive)
        let length = answer.headers.first(name: "Content-Length")
        if method == .HEAD || answer.status == .noContent || answer.status == .notModified || length == "0" {
            // No body: read its end now, so that the connection is free whether or not the caller reads.
            _ = try await reader.next()
        }
        return HTTPResponse(status: answer.status, headers: answer.headers, body: HTTPResponse.Body(source: .connection(reader)))
    }

    /// What ended an exchange before its answer: a write to a closed channel says only that it
    /// was closed, while what closed it (a TLS handshake refused, a timeout) ended the inbound stream.
    private func cause(of error: any Error, on connection: Connection) async -> any Error {
        guard (error as? ChannelError) == .ioOnClosedChannel else { return error }
        do {
            while try await connection.next() != nil {}
        } catch {
            return error
        }
        return HTTPClientError.closedBeforeAnswer
    }

    private func readHead(on connection: Connection) async throws -> HTTPResponseHead {
        switch try await connection.next() {
        case .head(let head): return head
        case nil: throw HTTPClientError.closedBeforeAnswer
        case .body, .end: throw HTTPClientError.closedBeforeAnswer
        }
    }

    private func connect(to target: Target, key: ConnectionPool.Key, tls: TLSSettings?, deadline: NIODeadline) async throws
        -> Connection
    {
        let left = deadline - .now()
        guard left > .zero else { throw HTTPClientError.deadlineExceeded }
        // Reads of up to 128 KiB (NIO's default stops at 64): half the parts for a large body to
        // hand over, a tenth off a cold pull's time here, for 4 MiB more at 8 connections.
        let bootstrap = ClientBootstrap(group: group).connectTimeout(min(left, Self.timeAmount(configuration.connectTimeout)))
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 65536, maximum: 131_072))
        let readTimeout = Self.timeAmount(configuration.readTimeout)
        let serverName = target.serverName
        let initialize: @Sendable (any Channel) -> EventLoopFuture<Connection.Channel> = { channel in
            channel.eventLoop.makeCompletedFuture {
                if let tls {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls.context, serverHostname: serverName))
                }
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(TimeoutHandler(readTimeout: readTimeout))
                return try Connection.Channel(wrappingChannelSynchronously: channel)
            }
        }
        let channel =
            switch target.address {
            case .tcp(let host, let port): try await bootstrap.connect(host: host, port: port, channelInitializer: initialize)
            case .unix(let path): try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initialize)
            }
        return Connection(key: key, channel: channel, tls: tls)
    }

    /// The system's trust roots, fully verified: made once, on the first `https` request.
    private func systemTrust() throws -> TLSSettings {
        try systemTLS.withLock { settings in
            if let settings { return settings }
            let made = try TLSSettings(.makeClientConfiguration())
            settings = made
            return made
        }
    }

    /// A duration as NIO's time amount, saturating far beyond any real timeout.
    public static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64.max / 1_000_000_000 - 1 else { return .hours(24 * 365) }
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Reads an answer's body from its connection, and gives the connection back when the body
/// ends (kept alive when both sides allow) or when the body is dropped unread (closed).
final class BodyReader: @unchecked Sendable {
    private let connection: Connection
    private let pool: ConnectionPool
    private let keepAlive: Bool
    /// Touched by one reader at a time, and by `deinit` once no one can read.
    private var finished = false

    init(connection: Connection, pool: ConnectionPool, keepAlive: Bool) {
        self.connection = connection
        self.pool = pool
        self.keepAlive = keepAlive
    }

    func next() async throws -> ByteBuffer? {
        guard !finished else { return nil }
        let part: HTTPClientResponsePart?
        do {
            part = try await connection.next()
        } catch {
            finish(reusable: false)
            // A cancelled reader closes the connection, and the decoder then says the body was cut short.
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
        switch part {
        case .body(let piece):
            return piece
        case .end:
            finish(reusable: keepAlive && connection.requestIsSent)
            return nil
        case .head, nil:
            finish(reusable: false)
            if Task.isCancelled { throw CancellationError() }
            throw connection.uploadFailure ?? HTTPClientError.closedBeforeBodyEnded
        }
    }

    private func finish(reusable: Bool) {
        finished = true
        pool.release(connection, reusable: reusable)
    }

    deinit {
        if !finished { pool.release(connection, reusable: false) }
    }
}
