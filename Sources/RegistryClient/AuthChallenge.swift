/// A parsed `WWW-Authenticate` challenge (RFC 7235), e.g.
/// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"`.
public struct AuthChallenge: Hashable, Sendable {
    /// The scheme, lowercased: `bearer` or `basic`.
    public var scheme: String
    /// The auth parameters, names lowercased, values unquoted.
    public var parameters: [String: String]

    /// Parses the first challenge of a header value. Quoted values may hold commas, spaces and
    /// backslash escapes.
    /// - Returns: nil when the header holds no scheme.
    public init?(header: String) {
        var scanner = Scanner(Array(header.utf8))
        scanner.skipSpaces()
        let scheme = scanner.token()
        guard !scheme.isEmpty else { return nil }
        self.scheme = scheme.lowercased()
        self.parameters = [:]
        while true {
            scanner.skip { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ",") }
            let name = scanner.token()
            guard !name.isEmpty else { break }
            scanner.skipSpaces()
            guard scanner.consume(UInt8(ascii: "=")) else { break }
            scanner.skipSpaces()
            let value = scanner.peek == UInt8(ascii: "\"") ? scanner.quotedString() : scanner.token()
            parameters[name.lowercased()] = value
        }
    }

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }
    /// The `error` parameter, e.g. `insufficient_scope` or `invalid_token`.
    public var error: String? { parameters["error"] }
}

private struct Scanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skip(while predicate: (UInt8) -> Bool) {
        while let byte = peek, predicate(byte) { position += 1 }
    }

    mutating func skipSpaces() { skip { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") } }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }

    /// An RFC 7230 token (here: anything up to a delimiter).
    mutating func token() -> String {
        let start = position
        skip { byte in
            !(byte == UInt8(ascii: " ") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "=")
                || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\t"))
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func quotedString() -> String {
        var value: [UInt8] = []
        position += 1  // opening quote
        while let byte = peek {
            position += 1
            if byte == UInt8(ascii: "\\"), let escaped = peek {
                value.append(escaped)
                position += 1
            } else if byte == UInt8(ascii: "\"") {
                break
            } else {
                value.append(byte)
            }
        }
        return String(decoding: value, as: UTF8.self)
    }
}
