import Foundation
import OCIModel

#if canImport(Glibc)
    import Glibc
#endif

extension LayoutStore {
    /// The lock that keeps garbage collection and downloads apart: a pull holds it shared from
    /// its first blob to its last `index.json` entry, a collection holds it exclusively, so that
    /// no blob a pull has stored but not yet recorded is ever collected.
    var collectionLock: FileLock { FileLock(path: privateDirectory + "/gc.lock") }

    /// Runs `body` (a pull) so that no garbage collection runs meanwhile.
    public func withBlobsProtected<T>(_ body: () async throws -> T) async throws -> T {
        try await collectionLock.withLock(shared: true, body)
    }

    /// Removes the `index.json` entries `matching` selects, atomically and under the lock.
    /// - Returns: the removed entries.
    public func removeEntries(where matching: (Descriptor) -> Bool) async throws -> [Descriptor] {
        try await lock.withLock {
            var index = try self.index()
            let removed = index.manifests.filter(matching)
            guard !removed.isEmpty else { return [] }
            index.manifests.removeAll(where: matching)
            try writeAtomically(Self.encode(index), to: indexPath)
            return removed
        }
    }

    /// What a collection removed.
    public struct Collection: Sendable, Equatable {
        public var blobs: Int
        public var bytes: Int64
    }

    /// Removes every blob that no `index.json` entry needs: the entries' manifests, their
    /// configs and layers, and the indexes they were chosen from. Waits for pulls under way.
    public func collectGarbage() async throws -> Collection {
        try await prune(dryRun: false) { _, _ in [] }.freed
    }

    /// Removes the `index.json` entries `choose` picks (and their metadata), then every blob no
    /// remaining entry needs, as one step: under the collection lock (so no pull is between
    /// storing blobs and recording them) and the cache lock (so the choice is made on the index
    /// and metadata as they are).
    /// - Parameters:
    ///   - dryRun: change nothing; return what would be removed and freed.
    ///   - choose: given the index's entries and the metadata (or why it cannot be read), the
    ///     entries to remove.
    /// - Returns: the entries removed and what the blobs freed (would free) came to.
    public func prune(
        dryRun: Bool,
        choosing choose: (_ entries: [Descriptor], _ metadata: Result<CacheMetadata, any Error>) throws -> [Descriptor]
    ) async throws -> (removed: [Descriptor], freed: Collection) {
        try await collectionLock.withLock {
            try await lock.withLock {
                var index = try self.index()
                let record = Result { try self.metadata() }
                let chosen = Set(try choose(index.manifests, record))
                let removed = index.manifests.filter(chosen.contains)
                index.manifests.removeAll(where: chosen.contains)
                let unneeded = try unneededBlobs(keeping: index.manifests)
                guard !dryRun else {
                    return (removed, unneeded.reduce(Collection(blobs: 0, bytes: 0)) { $0.adding($1.size) })
                }
                if !removed.isEmpty {
                    var metadata = (try? record.get()) ?? CacheMetadata()
                    try writeAtomically(Self.encode(index), to: indexPath)
                    for entry in removed {
                        if let name = entry.annotations?[Self.refNameAnnotation], let platform = entry.platform {
                            metadata.images[name + " " + platform.description] = nil
                        }
                    }
                    try writeMetadata(metadata)
                }
                var freed = Collection(blobs: 0, bytes: 0)
                for blob in unneeded where unlink(blob.path) == 0 { freed = freed.adding(blob.size) }
                return (removed, freed)
            }
        }
    }

    /// The blobs on disk that none of `entries` needs (their manifests, configs, layers and the
    /// indexes they came from), with their sizes.
    private func unneededBlobs(keeping entries: [Descriptor]) throws -> [(path: String, size: Int64)] {
        var keep: Set<Digest> = []
        for entry in entries {
            keep.insert(entry.digest)
            if let index = entry.annotations?[Self.indexAnnotation].flatMap({ try? Digest(parsing: $0) }) {
                keep.insert(index)
            }
            // A manifest that cannot be read keeps nothing else: it is reported by the commands
            // that read it, and its blobs are fetched again by the next pull.
            if let manifest = try? imageManifest(entry.digest) { keep.formUnion(manifest.blobs.map(\.digest)) }
        }
        let directory = root + "/blobs/sha256"
        return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().compactMap { name in
            guard let digest = try? Digest.sha256(hex: name), !keep.contains(digest) else { return nil }
            let path = directory + "/" + name
            var status = stat()
            return (path, stat(path, &status) == 0 ? Int64(status.st_size) : 0)
        }
    }

    /// When a blob was written (its file's modification time); nil when it is not cached.
    public func blobDate(_ digest: Digest) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: blobPath(digest)))?[.modificationDate] as? Date
    }
}

extension LayoutStore.Collection {
    func adding(_ size: Int64) -> Self { Self(blobs: blobs + 1, bytes: bytes + size) }
}
