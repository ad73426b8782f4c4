/// A content descriptor (OCI image spec "Content Descriptors"): what a blob is, where it is
/// (by digest) and how big it is.
public struct Descriptor: Hashable, Sendable, Codable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: Platform?
    public var artifactType: String?

    /// The largest size a descriptor may announce: 1 TiB. Larger (or negative) sizes come only
    /// from a broken or hostile document (registries cap layers at a few dozen GB), and sums
    /// of such sizes over every descriptor a 4 MiB manifest can hold stay far from overflowing.
    public static let maximumSize: Int64 = 1 << 40

    public init(
        mediaType: String,
        digest: Digest,
        size: Int64,
        annotations: [String: String]? = nil,
        platform: Platform? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }

    enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, urls, annotations, platform, artifactType
    }

    /// Decodes a descriptor, refusing a size that is negative or beyond ``maximumSize``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try container.decode(String.self, forKey: .mediaType)
        digest = try container.decode(Digest.self, forKey: .digest)
        size = try container.decode(Int64.self, forKey: .size)
        guard (0...Self.maximumSize).contains(size) else {
            throw DecodingError.dataCorruptedError(
                forKey: .size, in: container,
                debugDescription: "the size \(size) of \(digest) is \(size < 0 ? "negative" : "beyond any real blob (1 TiB)")")
        }
        urls = try container.decodeIfPresent([String].self, forKey: .urls)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        platform = try container.decodeIfPresent(Platform.self, forKey: .platform)
        artifactType = try container.decodeIfPresent(String.self, forKey: .artifactType)
    }
}
