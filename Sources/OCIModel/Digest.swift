/// A content digest, `algorithm:encoded`, as defined by the OCI image spec ("Digests").
///
/// Only the registered algorithms `sha256` and `sha512` are accepted, with their exact
/// lowercase hex lengths, because those are the only ones a registry or a layout may use.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The algorithm, `sha256` or `sha512`.
    public let algorithm: String
    /// The lowercase hex encoding of the hash.
    public let encoded: String

    /// Parses `sha256:<64 hex>` or `sha512:<128 hex>`.
    /// - Throws: ``DigestError`` naming what is wrong.
    public init(parsing string: some StringProtocol) throws(DigestError) {
        let text = String(string)
        guard let colon = text.firstIndex(of: ":") else {
            throw DigestError(digest: text, reason: "expected ALGORITHM:HEX")
        }
        let algorithm = String(text[..<colon])
        let encoded = String(text[text.index(after: colon)...])
        let expectedLength: Int
        switch algorithm {
        case "sha256": expectedLength = 64
        case "sha512": expectedLength = 128
        case "": throw DigestError(digest: text, reason: "the algorithm is empty")
        default: throw DigestError(digest: text, reason: "unsupported algorithm '\(algorithm)' (sha256 or sha512)")
        }
        guard encoded.utf8.count == expectedLength else {
            throw DigestError(
                digest: text,
                reason: "a \(algorithm) digest has \(expectedLength) hex characters, this one has \(encoded.utf8.count)"
            )
        }
        guard encoded.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw DigestError(digest: text, reason: "the hex part must be lowercase 0-9a-f")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// Builds a sha256 digest from an already computed lowercase hex string.
    public static func sha256(hex: String) throws(DigestError) -> Digest {
        try Digest(parsing: "sha256:" + hex)
    }

    /// A sha256 digest from the 32 bytes of a computed hash.
    public init(sha256 hashBytes: some Sequence<UInt8>) {
        var hex = ""
        hex.reserveCapacity(64)
        for byte in hashBytes {
            hex.append(Self.hexDigits[Int(byte >> 4)])
            hex.append(Self.hexDigits[Int(byte & 0x0F)])
        }
        precondition(hex.utf8.count == 64, "a sha256 hash has 32 bytes")
        self.algorithm = "sha256"
        self.encoded = hex
    }

    private static let hexDigits: [Character] = Array("0123456789abcdef")

    public var description: String { "\(algorithm):\(encoded)" }

    /// The first 12 hex characters, as `docker image ls` shows image IDs.
    public var short: String { String(encoded.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Digest(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A string that is not a valid digest.
public struct DigestError: Error, Hashable, Sendable, CustomStringConvertible {
    public let digest: String
    public let reason: String
    public var description: String { "invalid digest '\(digest)': \(reason)" }
}
