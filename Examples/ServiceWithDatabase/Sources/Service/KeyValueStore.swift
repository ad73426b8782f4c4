#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The service's database: a Redis server, spoken to over its Unix socket in RESP, Redis's
/// protocol (https://redis.io/docs/latest/develop/reference/protocol-spec/).
public final class KeyValueStore {
    private let descriptor: Int32
    private var buffered: [UInt8] = []

    /// Connects to the server listening on `socketPath`.
    public init(socketPath: String) throws(KeyValueStoreError) {
        #if canImport(Darwin)
        descriptor = socket(AF_UNIX, SOCK_STREAM, 0)
        #else
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard descriptor >= 0 else { throw .system("socket", errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw .pathTooLong(socketPath)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path + [0]) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let error = errno
            close(descriptor)
            throw .system("connect to \(socketPath)", error)
        }
    }

    deinit { close(descriptor) }

    /// Stores `value` under `key`.
    public func set(_ key: String, _ value: String) throws(KeyValueStoreError) {
        guard case .simple("OK") = try command(["SET", key, value]) else { throw .unexpectedReply("SET") }
    }

    /// The value under `key`; nil when there is none.
    public func get(_ key: String) throws(KeyValueStoreError) -> String? {
        switch try command(["GET", key]) {
        case .bulk(let value): return value
        case .null: return nil
        default: throw .unexpectedReply("GET")
        }
    }

    enum Reply: Equatable {
        case simple(String)
        case bulk(String)
        case null
        case integer(Int)
    }

    /// Sends one command as an array of bulk strings and reads its reply.
    func command(_ words: [String]) throws(KeyValueStoreError) -> Reply {
        var request = "*\(words.count)\r\n"
        for word in words { request += "$\(word.utf8.count)\r\n\(word)\r\n" }
        var bytes = Array(request.utf8)
        while !bytes.isEmpty {
            let sent = write(descriptor, bytes, bytes.count)
            guard sent > 0 else { throw .system("write", errno) }
            bytes.removeFirst(sent)
        }
        let line = try readLine()
        guard let kind = line.first else { throw .unexpectedReply(words[0]) }
        let rest = String(decoding: line.dropFirst(), as: UTF8.self)
        switch kind {
        case UInt8(ascii: "+"): return .simple(rest)
        case UInt8(ascii: "-"): throw .server(rest)
        case UInt8(ascii: ":"): return .integer(Int(rest) ?? 0)
        case UInt8(ascii: "$"):
            guard let length = Int(rest) else { throw .unexpectedReply(words[0]) }
            guard length >= 0 else { return .null }
            let body = try read(count: length + 2)
            return .bulk(String(decoding: body.dropLast(2), as: UTF8.self))
        default: throw .unexpectedReply(words[0])
        }
    }

    private func readLine() throws(KeyValueStoreError) -> [UInt8] {
        while true {
            if let end = buffered.firstIndex(of: UInt8(ascii: "\n")), end > 0, buffered[end - 1] == UInt8(ascii: "\r") {
                let line = Array(buffered[..<(end - 1)])
                buffered.removeFirst(end + 1)
                return line
            }
            try fill()
        }
    }

    private func read(count: Int) throws(KeyValueStoreError) -> [UInt8] {
        while buffered.count < count { try fill() }
        defer { buffered.removeFirst(count) }
        return Array(buffered[..<count])
    }

    private func fill() throws(KeyValueStoreError) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { throw received == 0 ? .closed : .system("read", errno) }
        buffered += chunk[..<received]
    }
}

/// What went wrong talking to the store.
public enum KeyValueStoreError: Error, CustomStringConvertible {
    case pathTooLong(String)
    case system(String, Int32)
    case server(String)
    case unexpectedReply(String)
    case closed

    public var description: String {
        switch self {
        case .pathTooLong(let path): "the socket path \(path) is too long for a Unix socket"
        case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
        case .server(let message): "the server answered: \(message)"
        case .unexpectedReply(let command): "an answer to \(command) that is not RESP"
        case .closed: "the server closed the connection"
        }
    }
}
