import OCIModel

/// Everything that can go wrong in the on-disk cache, each case naming the path or digest.
public enum LayoutError: Error, Sendable, CustomStringConvertible {
    /// The cache directory cannot be created or written.
    case unwritable(path: String, reason: String)
    /// A file of the layout cannot be read or parsed.
    case unreadable(path: String, reason: String)
    /// Content whose sha256 is not the digest it was stored under; it was discarded.
    case digestMismatch(expected: Digest, actual: Digest)
    /// Content whose length is not the size its descriptor announced; it was discarded.
    case sizeMismatch(digest: Digest, expected: Int64, actual: Int64)
    /// A document gives a cached blob another size than the blob has.
    case cachedSizeMismatch(digest: Digest, cached: Int64, declared: Int64)
    /// A blob the caller needs is not in the cache.
    case missingBlob(Digest)
    /// A layer that does not decompress to a valid tar stream.
    case corruptLayer(layer: Digest, reason: String)
    /// A layer whose uncompressed content is not what the image's config says.
    case diffIDMismatch(layer: Digest, expected: Digest, actual: Digest)

    /// What went wrong, for people; text read from files has its control characters escaped.
    public var description: String { text.escapingControlCharacters() }

    private var text: String {
        switch self {
        case let .unwritable(path, reason):
            "cannot write the cache at \(path): \(reason)"
        case let .unreadable(path, reason):
            "cannot read \(path): \(reason)"
        case let .digestMismatch(expected, actual):
            "content announced as \(expected) hashed to \(actual); it was discarded and nothing was stored"
        case let .sizeMismatch(digest, expected, actual):
            "blob \(digest) should be \(expected) bytes but \(actual) arrived; it was discarded and nothing was stored"
        case let .cachedSizeMismatch(digest, cached, declared):
            "blob \(digest) is cached with \(cached) bytes, but the manifest says \(declared); refusing the image"
        case let .missingBlob(digest):
            "blob \(digest) is not in the cache"
        case let .corruptLayer(layer, reason):
            "layer \(layer) is corrupt: \(reason)"
        case let .diffIDMismatch(layer, expected, actual):
            "layer \(layer) is corrupt: its uncompressed content hashes to \(actual), the image's config says \(expected) (rootfs.diff_ids)"
        }
    }
}
