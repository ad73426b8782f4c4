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
        try await collectionLock.withLock {
            try await lock.withLock {
                var keep: Set<Digest> = []
                for entry in try index().manifests {
                    keep.insert(entry.digest)
                    if let index = entry.annotations?[Self.indexAnnotation].flatMap({ try? Digest(parsing: $0) }) {
                        keep.insert(index)
                    }
                    // A manifest that cannot be read keeps nothing else: it is reported by the
                    // commands that read it, and its blobs are fetched again by the next pull.
                    if let bytes = try? readBlob(entry.digest),
                        case .image(let manifest) = try? ManifestDocument.decode(bytes, contentType: nil)
                    {
                        keep.formUnion(manifest.blobs.map(\.digest))
                    }
                }
                var collection = Collection(blobs: 0, bytes: 0)
                let directory = root + "/blobs/sha256"
                for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                    guard let digest = try? Digest.sha256(hex: name), !keep.contains(digest) else { continue }
                    let path = directory + "/" + name
                    var status = stat()
                    let size = stat(path, &status) == 0 ? Int64(status.st_size) : 0
                    if unlink(path) == 0 {
                        collection.blobs += 1
                        collection.bytes += size
                    }
                }
                return collection
            }
        }
    }
}
