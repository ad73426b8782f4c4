import Foundation
import OCIModel

#if canImport(Glibc)
    import Glibc
#endif

/// The cache on disk: a standard OCI image layout (`oci-layout`, `index.json`,
/// `blobs/sha256/…`) that skopeo, umoci, containerd and Docker can read, plus a private
/// `.swift-images/` directory for ingest files, the lock and metadata.
///
/// Guarantees:
/// - a blob appears under `blobs/` only after its digest and size were verified;
/// - `index.json` and the metadata are replaced atomically, under a lock shared by every
///   process that uses the cache;
/// - a crash at any moment leaves partial files only in the ingest area.
public struct LayoutStore: Sendable {
    /// The version of what this tool keeps in a cache beyond the OCI layout (annotations,
    /// metadata); a cache key names it, so that a cache written by an incompatible version is
    /// not restored.
    public static let formatVersion = 1
    /// `org.opencontainers.image.ref.name`: the canonical reference of the image.
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    /// `io.containerd.image.name`: the name containerd and Docker ≥ 25 give an imported image.
    public static let containerdNameAnnotation = "io.containerd.image.name"

    /// The cache directory.
    public let root: String
    let lock: FileLock

    var privateDirectory: String { root + "/.swift-images" }
    var ingestDirectory: String { privateDirectory + "/ingest" }
    var indexPath: String { root + "/index.json" }

    /// Opens the cache at `root`, creating the layout if it does not exist yet.
    /// - Throws: ``LayoutError/unwritable(path:reason:)`` when it cannot be created.
    public init(root: String) throws {
        self.root = root
        self.lock = FileLock(path: root + "/.swift-images/lock")
        let manager = FileManager.default
        for directory in [root, root + "/blobs/sha256", ingestDirectory] {
            try makeDirectories(directory)
        }
        if !manager.fileExists(atPath: root + "/oci-layout") {
            try writeAtomically(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: root + "/oci-layout", replacing: false)
        }
        try Self.checkLayoutVersion(root + "/oci-layout")
        if !manager.fileExists(atPath: indexPath) {
            try writeAtomically(Self.encode(Index(manifests: [])), to: indexPath, replacing: false)
        }
    }

    /// The layout versions this store reads: 1.x (the only one the OCI image spec defines).
    static func checkLayoutVersion(_ path: String) throws {
        struct Layout: Decodable { var imageLayoutVersion: String }
        let bytes = try readFile(atPath: path, limit: 4096)
        guard let layout = try? JSONDecoder().decode(Layout.self, from: Data(bytes)) else {
            throw LayoutError.unreadable(path: path, reason: "it is not an OCI layout marker ({\"imageLayoutVersion\": \"1.0.0\"})")
        }
        guard layout.imageLayoutVersion.split(separator: ".").first == "1" else {
            throw LayoutError.unreadable(
                path: path,
                reason: "the layout version '\(layout.imageLayoutVersion.prefix(40))' is not one this tool reads (1.x)")
        }
    }

    // MARK: Blobs

    /// Where the blob with `digest` lives (whether or not it is there).
    public func blobPath(_ digest: Digest) -> String {
        "\(root)/blobs/\(digest.algorithm)/\(digest.encoded)"
    }

    /// Whether the blob is in the cache, as a regular file (a link or a FIFO under a blob's
    /// name, in a cache restored from elsewhere, is not the blob: a pull replaces it).
    public func hasBlob(_ digest: Digest) -> Bool {
        cachedSize(of: digest) != nil
    }

    /// The largest blob ``readBlob(_:)`` reads whole: manifests are at most 4 MiB, configs far smaller.
    public static let smallBlobLimit = 64 * 1024 * 1024

    /// The size of a cached blob's file; nil when it is not cached. A blob that is not a
    /// regular file (a link, a FIFO…) counts as not cached.
    public func cachedSize(of digest: Digest) -> Int64? {
        var info = stat()
        guard lstat(blobPath(digest), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Checks that the cached blobs among `descriptors` hold the sizes the descriptors say; a
    /// document that gives a cached digest another size is lying about it.
    /// - Throws: ``LayoutError/cachedSizeMismatch(digest:cached:declared:)``.
    public func checkCachedSizes(_ descriptors: [Descriptor]) throws {
        for descriptor in descriptors {
            if let size = cachedSize(of: descriptor.digest), size != descriptor.size {
                throw LayoutError.cachedSizeMismatch(digest: descriptor.digest, cached: size, declared: descriptor.size)
            }
        }
    }

    /// Reads a small blob (a manifest or a config) whole, checking its digest.
    public func readBlob(_ digest: Digest) throws -> [UInt8] {
        guard hasBlob(digest) else { throw LayoutError.missingBlob(digest) }
        let bytes = try Self.readFile(atPath: blobPath(digest), limit: Self.smallBlobLimit)
        let actual = SHA256.digest(of: bytes)
        guard actual == digest else { throw LayoutError.digestMismatch(expected: digest, actual: actual) }
        return bytes
    }

    /// The image manifest cached under `digest`: the one reader of cached manifests.
    /// - Throws: ``LayoutError/missingBlob(_:)``, ``LayoutError/digestMismatch(expected:actual:)``,
    ///   or ``LayoutError/unreadable(path:reason:)`` when it is not an image manifest (an index,
    ///   or not a manifest at all).
    public func imageManifest(_ digest: Digest) throws -> Manifest {
        let document: ManifestDocument
        do {
            document = try ManifestDocument.decode(try readBlob(digest), contentType: nil)
        } catch let error as LayoutError {
            throw error
        } catch {
            throw LayoutError.unreadable(path: blobPath(digest), reason: "\(error)")
        }
        guard case .image(let manifest) = document else {
            throw LayoutError.unreadable(path: blobPath(digest), reason: "expected an image manifest, found an index")
        }
        return manifest
    }

    /// Stores a small blob already in memory (a manifest), verifying it first.
    public func writeBlob(_ bytes: [UInt8], as descriptor: Descriptor) throws {
        let actual = SHA256.digest(of: bytes)
        guard actual == descriptor.digest else {
            throw LayoutError.digestMismatch(expected: descriptor.digest, actual: actual)
        }
        guard Int64(bytes.count) == descriptor.size else {
            throw LayoutError.sizeMismatch(digest: descriptor.digest, expected: descriptor.size, actual: Int64(bytes.count))
        }
        guard !hasBlob(descriptor.digest) else { return }
        try writeAtomically(bytes, to: blobPath(descriptor.digest))
    }

    // MARK: index.json

    /// The layout's `index.json` as it is now.
    /// - Throws: ``LayoutError/unreadable(path:reason:)`` when it is missing, not a regular file,
    ///   larger than 256 MiB, or not a valid index (duplicate keys included).
    public func index() throws -> Index {
        guard FileManager.default.fileExists(atPath: indexPath) else {
            throw LayoutError.unreadable(path: indexPath, reason: "it does not exist")
        }
        let bytes = try Self.readFile(atPath: indexPath, limit: 256 * 1024 * 1024)
        do {
            try StrictJSON.check(bytes)
            return try JSONDecoder().decode(Index.self, from: Data(bytes))
        } catch {
            throw LayoutError.unreadable(path: indexPath, reason: "it is not a valid OCI index: \(error)")
        }
    }

    /// Adds image entries to `index.json`, each replacing any entry with the same name and
    /// platform, so that re-pulling never appends a duplicate. Atomic and locked; when the
    /// entries are already there as they are, nothing is written.
    public func record(_ entries: [Descriptor]) async throws {
        guard !entries.isEmpty else { return }
        try await lock.withLock {
            let current = try self.index()
            var index = current
            // One pass each way, by image key: a pull records thousands of images at once.
            var latest: [String: Descriptor] = [:]
            for entry in entries { latest[Self.imageKey(entry)] = entry }
            index.manifests.removeAll { latest[Self.imageKey($0)] != nil }
            index.manifests += latest.values
            index.manifests = Self.sorted(index.manifests)
            guard index != current else { return }
            try writeAtomically(Self.encode(index), to: indexPath)
        }
    }

    /// An index entry for an image pulled as `reference` for `platform`.
    /// - Parameter index: the multi-platform index the manifest was chosen from, if any; it is
    ///   kept in the cache as long as the entry is (see ``collectGarbage()``).
    public static func entry(for manifest: Descriptor, reference: Reference, platform: Platform, index: Digest? = nil)
        -> Descriptor
    {
        var entry = Descriptor(mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size)
        entry.annotations = [
            refNameAnnotation: reference.description,
            containerdNameAnnotation: reference.description,
        ]
        if let index { entry.annotations?[indexAnnotation] = index.description }
        entry.platform = platform
        return entry
    }

    /// Our annotation naming the index an entry's manifest was chosen from.
    public static let indexAnnotation = "io.github.swift-images.index"

    /// What makes two entries the same image: the name, and the platform as matching compares
    /// it (`linux/arm64` and `linux/arm64/v8` are one).
    static func imageKey(_ entry: Descriptor) -> String {
        (entry.annotations?[refNameAnnotation] ?? "") + "\n" + (entry.platform?.matchKey ?? "")
    }

    static func sortKey(_ descriptor: Descriptor) -> String {
        (descriptor.annotations?[refNameAnnotation] ?? "") + " " + (descriptor.platform?.description ?? "")
    }

    /// Index entries in the order `index.json` keeps them, each key made once.
    static func sorted(_ entries: [Descriptor]) -> [Descriptor] {
        entries.map { (sortKey($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try Array(encoder.encode(value)) + [UInt8(ascii: "\n")]
    }
}
