import Foundation
import OCIModel

#if canImport(Glibc)
    import Glibc
#endif

/// Something wrong that ``LayoutStore/verify(repair:)`` found in the cache.
public struct CacheProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// A blob whose content does not hash to its name, or a layer whose uncompressed
        /// content does not hash to its recorded diff_id.
        case corrupt
        /// A blob an image in `index.json` needs and the cache does not have.
        case missing
        /// A file in `blobs/sha256/` whose name is not a digest, or that is not a regular file
        /// (a symbolic link, a FIFO, a device, a directory).
        case stray
    }

    public var kind: Kind
    /// The blob's digest, or the stray file's name.
    public var blob: String
    /// What is wrong, and for a missing blob which image needs it.
    public var detail: String
    /// Removed by `--repair` (the next pull fetches it again).
    public var removed: Bool

    public var description: String {
        "\(kind) \(blob): \(detail)" + (removed ? " (removed)" : "")
    }
}

/// What ``LayoutStore/verify(repair:)`` checked and found.
public struct VerifyReport: Sendable, Equatable, Codable {
    /// Blobs re-hashed, and their bytes.
    public var blobs: Int
    public var bytes: Int64
    /// Layers decompressed to check their recorded diff_id.
    public var layersDecompressed: Int
    public var problems: [CacheProblem]
    /// Partial downloads of dead processes removed by `--repair`.
    public var abandonedIngestsRemoved: Int
    /// The images in `index.json` (`REF (PLATFORM)`) that lack a sound blob, after any repair:
    /// the next pull fetches what they lack.
    public var incompleteImages: [String]

    /// Nothing corrupt, missing or stray was found.
    public var isSound: Bool { problems.isEmpty }

    /// Nothing wrong remains: nothing was found, or `--repair` removed every problem and no
    /// image lacks a blob.
    public var isSoundNow: Bool { problems.allSatisfy(\.removed) && incompleteImages.isEmpty }
}

extension LayoutStore {
    /// Re-hashes every blob, decompresses the layers whose diff_id the metadata records, and
    /// checks that every image in `index.json` has all its blobs. With `repair`, corrupt and
    /// stray blobs are removed (under the collection lock, so no pull is between storing and
    /// recording) and so are partial downloads of dead processes; the next pull fetches what is
    /// then missing.
    /// - Throws: when `index.json` itself cannot be read.
    public func verify(repair: Bool) async throws -> VerifyReport {
        if repair {
            return try await collectionLock.withLock { try await check(repair: true) }
        }
        return try await check(repair: false)
    }

    private func check(repair: Bool) async throws -> VerifyReport {
        let directory = root + "/blobs/sha256"
        var report = VerifyReport(
            blobs: 0, bytes: 0, layersDecompressed: 0, problems: [], abandonedIngestsRemoved: 0, incompleteImages: [])
        func found(_ kind: CacheProblem.Kind, _ blob: String, _ detail: String, path: String?) {
            let removed = repair && path.map { unlink($0) == 0 } == true
            report.problems.append(CacheProblem(kind: kind, blob: blob, detail: detail, removed: removed))
        }
        var sound: [Digest: Int64] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() {
            let path = directory + "/" + name
            guard let digest = try? Digest.sha256(hex: name) else {
                found(.stray, name.escapingControlCharacters(), "not a sha256 digest", path: path)
                continue
            }
            // Never followed nor opened: a link to /dev/zero or a FIFO would never end.
            if let kind = irregularKind(path) {
                found(.stray, digest.description, "not a regular file but \(kind)", path: path)
                continue
            }
            let (actual, size) = try hash(path)
            report.blobs += 1
            report.bytes += size
            if actual == digest {
                sound[digest] = size
            } else {
                found(.corrupt, digest.description, "the content hashes to \(actual)", path: path)
            }
        }
        for (key, recorded) in (try? metadata().layers) ?? [:] {
            guard let digest = try? Digest(parsing: key), let size = sound[digest] else { continue }
            report.layersDecompressed += 1
            do {
                _ = try await measureLayer(
                    Descriptor(mediaType: "application/vnd.oci.image.layer.v1.tar", digest: digest, size: size),
                    diffID: recorded.diffID)
            } catch {
                sound[digest] = nil
                found(.corrupt, digest.description, "\(error)", path: blobPath(digest))
            }
        }
        for entry in try index().manifests {
            let image =
                (entry.annotations?[Self.refNameAnnotation] ?? "an unnamed image")
                + (entry.platform.map { " (\($0))" } ?? "")
            var needed = [entry.digest]
            if let index = entry.annotations?[Self.indexAnnotation].flatMap({ try? Digest(parsing: $0) }) {
                needed.append(index)
            }
            if sound[entry.digest] != nil, let manifest = try? imageManifest(entry.digest) {
                needed += manifest.blobs.map(\.digest)
            }
            let lacking = needed.filter { sound[$0] == nil }
            for digest in lacking where !report.problems.contains(where: { $0.blob == digest.description }) {
                found(.missing, digest.description, "needed by \(image)", path: nil)
            }
            if !lacking.isEmpty { report.incompleteImages.append(image) }
        }
        if repair { report.abandonedIngestsRemoved = try await removeAbandonedIngests() }
        return report
    }

    /// The sha256 and size of a regular file, read 1 MiB at a time.
    private func hash(_ path: String) throws -> (Digest, Int64) {
        let handle = FileHandle(fileDescriptor: try openRegularFile(path), closeOnDealloc: true)
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
            size += Int64(chunk.count)
        }
        return (hasher.finalize(), size)
    }
}
