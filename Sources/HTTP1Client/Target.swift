import NIOCore

/// Where a URL sends a request: the address to connect to, whether TLS is spoken there, and
/// the request line's target and `Host` header.
struct Target: Sendable, Equatable {
    enum Address: Hashable, Sendable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    var address: Address
    var isTLS: Bool
    /// The `Host` header: `HOST` or `HOST:PORT` when the port is not the scheme's own.
    var hostHeader: String
    /// The request line's target: the path and query, `/` at least.
    var requestTarget: String

    /// The name TLS asks the server for (SNI) and verifies its certificate against; nil for an
    /// address, which is verified as one.
    var serverName: String? {
        guard case .tcp(let host, _) = address, (try? SocketAddress(ipAddress: host, port: 0)) == nil else { return nil }
        return host
    }

    /// Reads `http://`, `https://` and `http+unix://` URLs. User information (`user:password@`)
    /// is refused: credentials go in headers, never in URLs that end up in messages.
    init(url: String) throws(HTTPClientError) {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else {
            throw .invalidURL(url, reason: "it has no scheme")
        }
        let scheme = url[..<colon].lowercased()
        var rest = url[url.index(colon, offsetBy: 3)...]
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<pathStart])
        let path = rest[pathStart...]
        requestTarget = path.isEmpty ? "/" : path.hasPrefix("?") ? "/" + path : String(path)
        guard !requestTarget.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false })
        else { throw .invalidURL(url, reason: "its path has spaces or control characters") }
        guard !authority.contains("@") else { throw .invalidURL(url, reason: "it has user information") }

        switch scheme {
        case "http+unix":
            guard let socket = authority.percentDecoded, socket.hasPrefix("/") else {
                throw .invalidURL(url, reason: "its host is not a socket's path, percent-encoded")
            }
            address = .unix(path: socket)
            isTLS = false
            hostHeader = "localhost"
        case "http", "https":
            isTLS = scheme == "https"
            let defaultPort = isTLS ? 443 : 80
            let host: Substring
            let port: Substring?
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url, reason: "its IPv6 address is not closed") }
                host = authority[authority.index(after: authority.startIndex)..<close]
                let after = authority[authority.index(after: close)...]
                guard after.isEmpty || after.hasPrefix(":") else { throw .invalidURL(url, reason: "text follows its IPv6 address") }
                port = after.isEmpty ? nil : after.dropFirst()
            } else if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            } else {
                host = Substring(authority)
                port = nil
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" && $0 != "%" }) else {
                throw .invalidURL(url, reason: "its host is empty or not a name or an address")
            }
            let number: Int
            if let port {
                guard (1...5).contains(port.count), port.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(port), (1...65535).contains(value)
                else { throw .invalidURL(url, reason: "its port is not a number from 1 to 65535") }
                number = value
            } else {
                number = defaultPort
            }
            address = .tcp(host: String(host), port: number)
            let bracketed = host.contains(":") ? "[\(host)]" : String(host)
            hostHeader = number == defaultPort ? bracketed : "\(bracketed):\(number)"
        default:
            throw .invalidURL(url, reason: "its scheme is not http, https or http+unix")
        }
    }
}

extension String {
    /// The text with each `%XX` made the byte it stands for; nil when a `%` is not followed by
    /// two hexadecimal digits or the bytes are not UTF-8.
    var percentDecoded: String? {
        var bytes: [UInt8] = []
        var rest = utf8[...]
        while let byte = rest.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard rest.count >= 2, let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            rest = rest.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The socket path as the host of an `http+unix` URL: every byte but letters, digits and
    /// `-._~` percent-encoded, so that `/` does not end the host.
    public var percentEncodedAsHost: String {
        var encoded = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return encoded
    }
}
