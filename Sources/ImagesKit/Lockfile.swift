import Foundation
import LayoutStore
import OCIModel

/// `images.lock.json`: every declared image pinned to a digest, per platform.
///
/// Written deterministically (entries sorted by reference, keys sorted, two-space indent,
/// trailing newline) so that it diffs cleanly in review.
public struct Lockfile: Codable, Sendable, Equatable {
    public static let fileName = "images.lock.json"
    public static let currentVersion = 1

    public var version: Int
    public var images: [LockedImage] {
        didSet { positions = Self.positions(of: images) }
    }
    /// Where each reference's entry is in `images`: a lookup per image, not a scan.
    private var positions: [String: Int]

    public init(images: [LockedImage]) {
        self.init(version: Self.currentVersion, images: images.sorted { $0.ref < $1.ref })
    }

    private init(version: Int, images: [LockedImage]) {
        self.version = version
        self.images = images
        self.positions = Self.positions(of: images)
    }

    private enum CodingKeys: String, CodingKey {
        case version, images
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            version: try container.decode(Int.self, forKey: .version),
            images: try container.decode([LockedImage].self, forKey: .images))
    }

    private static func positions(of images: [LockedImage]) -> [String: Int] {
        Dictionary(images.enumerated().map { ($1.ref, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The entry for an image as written in the manifest.
    public func entry(for image: DeclaredImage) -> LockedImage? {
        positions[image.written].map { images[$0] }
    }

    /// The entry that pins exactly what `image` declares.
    /// - Throws: ``ImagesError/lockOutdated(path:images:)`` when there is none.
    public func pinnedEntry(for image: DeclaredImage) throws -> LockedImage {
        guard let entry = entry(for: image), entry.pins(image) else {
            throw ImagesError.lockOutdated(path: Self.fileName, images: [image.written])
        }
        return entry
    }

    /// The images of `images` that the lock does not pin as declared.
    public func unpinned(_ images: [DeclaredImage]) -> [DeclaredImage] {
        images.filter { image in entry(for: image).map { !$0.pins(image) } ?? true }
    }

    /// How the lock stands against `manifest`, without asking any registry.
    public func check(against manifest: ImagesManifest) -> LockCheck {
        let declared = Set(manifest.images.map(\.written))
        return LockCheck(
            unpinned: unpinned(manifest.images).map(\.written),
            undeclared: images.map(\.ref).filter { !declared.contains($0) })
    }

    /// Reads the lock that must be there.
    /// - Throws: ``ImagesError/lockMissing(path:)`` when there is none, ``LockfileError``
    ///   when it cannot be used.
    public static func loadRequired(path: String) throws -> Lockfile {
        guard let lock = try load(path: path) else { throw ImagesError.lockMissing(path: path) }
        return lock
    }

    /// Reads the lock that must pin each of `images` as declared.
    /// - Throws: as ``loadRequired(path:)``, and ``ImagesError/lockOutdated(path:images:)``
    ///   naming the images it does not pin.
    public static func loadPinning(_ images: [DeclaredImage], path: String) throws -> Lockfile {
        let lock = try loadRequired(path: path)
        let unpinned = lock.unpinned(images)
        guard unpinned.isEmpty else { throw ImagesError.lockOutdated(path: path, images: unpinned.map(\.written)) }
        return lock
    }

    /// Reads a lock file; nil when there is none.
    /// - Throws: ``LockfileError`` when it exists but cannot be used.
    public static func load(path: String) throws -> Lockfile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = Data(try LayoutStore.readFile(atPath: path, limit: 64 * 1024 * 1024, followingLinks: true))
        } catch {
            throw LockfileError(path: path, message: "cannot read the file: \(error)")
        }
        do {
            try StrictJSON.check(data)
        } catch {
            throw LockfileError(path: path, message: "\(error)", isMalformed: true)
        }
        let lock: Lockfile
        do {
            lock = try JSONDecoder().decode(Lockfile.self, from: data)
        } catch let error as DecodingError {
            let (keyPath, message) = explain(error)
            throw LockfileError(path: path, message: "\(keyPath): \(message)", isMalformed: true)
        }
        guard lock.version == currentVersion else {
            throw LockfileError(
                path: path, message: "unsupported version \(lock.version) (this tool writes version \(currentVersion))")
        }
        return lock
    }

    /// The exact bytes this lock is written as.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        return try! Array(encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Writes the lock atomically: readers see the old file or the new one, never a part.
    public func write(to path: String) throws {
        do {
            // .atomic writes a temporary file beside the target and renames it into place.
            try Data(encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LockfileError(path: path, message: "cannot write it: \((error as NSError).localizedDescription)")
        }
    }
}

/// One image of the lock.
public struct LockedImage: Codable, Sendable, Equatable {
    /// The reference exactly as written in `images.json`.
    public var ref: String
    /// The canonical reference: `docker.io/library/postgres:16`.
    public var canonical: String
    /// What the tag resolved to: the index digest for multi-platform images, else the manifest digest.
    public var digest: Digest
    /// The media type of what `digest` names.
    public var mediaType: String
    /// The image manifest digest for each platform, keyed `os/architecture[/variant]`.
    public var platforms: [String: Digest]

    public init(ref: String, canonical: String, digest: Digest, mediaType: String, platforms: [String: Digest]) {
        self.ref = ref
        self.canonical = canonical
        self.digest = digest
        self.mediaType = mediaType
        self.platforms = platforms
    }

    /// Whether this entry pins exactly what `image` declares (same reference, same platforms).
    public func pins(_ image: DeclaredImage) -> Bool {
        ref == image.written && Set(platforms.keys) == Set(image.platforms.map(\.description))
    }
}

/// A lock file that cannot be used.
public struct LockfileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    /// The file is not a lock this tool wrote (malformed JSON, a wrong shape): writing it anew
    /// from the manifest is the way out.
    public var isMalformed = false
    public var description: String { "\(path): \(message)" }
}

/// Where a lock and its manifest disagree (`images lock --check`).
public struct LockCheck: Codable, Sendable, Equatable {
    /// Declared images the lock does not pin as declared: new ones, a changed platform list, or
    /// a digest written in the reference that the lock does not hold.
    public var unpinned: [String]
    /// Entries for images `images.json` no longer declares.
    public var undeclared: [String]

    /// Whether `images lock` would leave the lock as it is (tags that moved aside).
    public var isUpToDate: Bool { unpinned.isEmpty && undeclared.isEmpty }
}
