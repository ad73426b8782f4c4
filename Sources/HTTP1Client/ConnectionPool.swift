import NIOCore
import Synchronization

/// Kept-alive connections per destination, at most `limit` open to each at once; a request
/// beyond that waits for one to be released, in the order they came, until its deadline.
final class ConnectionPool: Sendable {
    /// A destination: its address, and the TLS settings spoken there (by identity).
    struct Key: Hashable, Sendable {
        var address: Target.Address
        var tls: ObjectIdentifier?
    }

    /// What a request waiting for a connection is given.
    enum Grant {
        /// A kept-alive connection.
        case connection(Connection)
        /// Leave to open a new one (its place is counted).
        case connect
    }

    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State {
        var idle: [Key: [Connection]] = [:]
        var open: [Key: Int] = [:]
        var waiters: [Key: [Waiter]] = [:]
        /// Ids of leases about to wait, and whether each was cancelled before it could.
        var arriving: [Int: Bool] = [:]
        var lastID = 0
        var isShutDown = false

        /// A live kept-alive connection to `key`, or the right to open one; nil when neither is free.
        mutating func grant(_ key: Key, limit: Int, closing: inout [Connection]) -> Grant? {
            while let connection = idle[key]?.popLast() {
                if connection.isActive { return .connection(connection) }
                open[key, default: 1] -= 1
                closing.append(connection)
            }
            guard open[key, default: 0] < limit else { return nil }
            open[key, default: 0] += 1
            return .connect
        }
    }

    private let state = Mutex(State())
    private let limit: Int

    init(limitPerDestination: Int) {
        limit = max(limitPerDestination, 1)
    }

    /// A connection to `key`'s destination: a kept-alive one, else a new one from `connect`,
    /// waiting for a free place when `limit` are open.
    /// - Throws: ``HTTPClientError/deadlineExceeded`` when none is free by `deadline`; what
    ///   `connect` throws; `CancellationError`.
    func lease(
        _ key: Key, deadline: NIODeadline, on eventLoop: any EventLoop, connect: () async throws -> Connection
    ) async throws -> Connection {
        let id = try state.withLock { state in
            guard !state.isShutDown else { throw HTTPClientError.shutDown }
            state.lastID += 1
            state.arriving[state.lastID] = false
            return state.lastID
        }
        let grant = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                var closing: [Connection] = []
                let now: Result<Grant, any Error>? = state.withLock { state in
                    let cancelled = state.arriving.removeValue(forKey: id) ?? true
                    if cancelled { return .failure(CancellationError()) }
                    if state.isShutDown { return .failure(HTTPClientError.shutDown) }
                    if let grant = state.grant(key, limit: limit, closing: &closing) { return .success(grant) }
                    state.waiters[key, default: []].append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                closing.forEach { $0.close() }
                if let now {
                    continuation.resume(with: now)
                } else if deadline != .distantFuture {
                    eventLoop.scheduleTask(deadline: deadline) {
                        self.stopWaiting(id, for: key, because: HTTPClientError.deadlineExceeded)
                    }
                }
            }
        } onCancel: {
            stopWaiting(id, for: key, because: CancellationError())
        }
        switch grant {
        case .connection(let connection):
            return connection
        case .connect:
            do {
                return try await connect()
            } catch {
                placeFreed(for: key)
                throw error
            }
        }
    }

    /// Takes a connection back: kept for the next request when `reusable` and still open, else closed.
    func release(_ connection: Connection, reusable: Bool) {
        enum Outcome {
            case kept
            case handedOver(Waiter)
            case closed
        }
        let key = connection.key
        let outcome: Outcome = state.withLock { state in
            guard reusable, connection.isActive, !state.isShutDown else { return .closed }
            if let waiter = state.waiters[key]?.first {
                state.waiters[key]!.removeFirst()
                return .handedOver(waiter)
            }
            state.idle[key, default: []].append(connection)
            return .kept
        }
        switch outcome {
        case .kept:
            break
        case .handedOver(let waiter):
            waiter.continuation.resume(returning: .connection(connection))
        case .closed:
            connection.close()
            placeFreed(for: key)
        }
    }

    /// Closes the kept-alive connections and fails the waiting requests; later leases fail.
    func shutDown() {
        let (idle, waiters) = state.withLock { state in
            state.isShutDown = true
            defer {
                state.idle = [:]
                state.waiters = [:]
            }
            return (state.idle.values.flatMap { $0 }, state.waiters.values.flatMap { $0 })
        }
        idle.forEach { $0.close() }
        waiters.forEach { $0.continuation.resume(throwing: HTTPClientError.shutDown) }
    }

    /// A connection to `key` closed (or never opened): the first waiter may open one.
    private func placeFreed(for key: Key) {
        let waiter: Waiter? = state.withLock { state in
            state.open[key, default: 1] -= 1
            guard !state.isShutDown, let waiter = state.waiters[key]?.first else { return nil }
            state.waiters[key]!.removeFirst()
            state.open[key, default: 0] += 1
            return waiter
        }
        waiter?.continuation.resume(returning: .connect)
    }

    /// Ends a wait that is still on: cancelled, or past its deadline.
    private func stopWaiting(_ id: Int, for key: Key, because error: any Error) {
        let waiter: Waiter? = state.withLock { state in
            if state.arriving[id] != nil {
                state.arriving[id] = true
                return nil
            }
            guard let index = state.waiters[key]?.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters[key]!.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }
}
