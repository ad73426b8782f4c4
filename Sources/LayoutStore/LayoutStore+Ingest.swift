import Foundation
import NIOCore
import NIOFileSystem
import OCIModel

#if canImport(Glibc)
    import Glibc
#endif

/// A blob being written into the cache: bytes go to a file in the ingest area while they are
/// hashed and counted; only verified content is moved into `blobs/`.
public final class BlobIngest {
    /// The descriptor the content must match.
    public let expected: Descriptor
    private let partialPath: FilePath
    private let handle: WriteFileHandle
    private var writer: BufferedWriter<WriteFileHandle>
    private var hasher = SHA256()
    /// Bytes received so far.
    public private(set) var received: Int64 = 0

    fileprivate init(expected: Descriptor, partialPath: FilePath, handle: WriteFileHandle) {
        self.expected = expected
        self.partialPath = partialPath
        self.handle = handle
        self.writer = handle.bufferedWriter(capacity: .kibibytes(256))
    }

    /// Appends a chunk. Refuses, at once, any byte beyond the announced size.
    public func write(_ chunk: ByteBuffer) async throws {
        let total = received + Int64(chunk.readableBytes)
        guard total <= expected.size else {
            throw LayoutError.sizeMismatch(digest: expected.digest, expected: expected.size, actual: total)
        }
        chunk.withUnsafeReadableBytes { hasher.update($0) }
        try await writer.write(contentsOf: chunk)
        received = total
    }

    /// Forgets every byte written so far, for a download that starts again from its first byte.
    public func restart() async throws {
        try await writer.flush()
        try await handle.resize(to: .bytes(0))
        writer = handle.bufferedWriter(capacity: .kibibytes(256))
        hasher = SHA256()
        received = 0
    }

    fileprivate func finish() async throws -> Digest {
        try await writer.flush()
        try await handle.close(makeChangesVisible: true)
        return hasher.finalize()
    }

    fileprivate func discard() async {
        try? await handle.close(makeChangesVisible: false)
        _ = try? await FileSystem.shared.removeItem(at: partialPath, strategy: .platformDefault, recursively: false)
    }

    fileprivate var path: FilePath { partialPath }
}

extension LayoutStore {
    var ingestLock: FileLock { FileLock(path: privateDirectory + "/ingest.lock") }

    /// Streams a blob into the cache. `produce` writes the content into the ingest; when it
    /// returns, size and digest are checked and the file is renamed into `blobs/`. On any
    /// failure the partial file is removed and nothing is stored.
    /// - Returns: the number of bytes stored.
    @discardableResult
    public func ingest(_ descriptor: Descriptor, produce: (BlobIngest) async throws -> Void) async throws -> Int64 {
        let partial = FilePath(ingestDirectory + "/\(descriptor.digest.encoded)-\(UUID().uuidString).partial")
        // The partial file is locked for as long as it is written, so that a sweep by another
        // process (removeAbandonedIngests) knows it is alive; creating and locking happen under
        // the shared ingest lock, so that no sweep runs in between.
        let handle: WriteFileHandle
        do {
            handle = try await ingestLock.withLock(shared: true) {
                let handle = try await FileSystem.shared.openFile(
                    forWritingAt: partial,
                    options: OpenOptions.Write(
                        existingFile: .none,
                        newFile: OpenOptions.NewFile(permissions: nil, transactionalCreation: false)
                    )
                )
                _ = try await handle.withUnsafeDescriptor { flock($0.rawValue, LOCK_EX | LOCK_NB) }
                return handle
            }
        } catch let error as LayoutError {
            throw error
        } catch {
            throw LayoutError.unwritable(path: partial.string, reason: String(describing: error))
        }
        let ingest = BlobIngest(expected: descriptor, partialPath: partial, handle: handle)
        let actual: Digest
        do {
            try await produce(ingest)
            actual = try await ingest.finish()
        } catch {
            await ingest.discard()
            throw error
        }
        guard ingest.received == descriptor.size else {
            await ingest.discard()
            throw LayoutError.sizeMismatch(digest: descriptor.digest, expected: descriptor.size, actual: ingest.received)
        }
        guard actual == descriptor.digest else {
            await ingest.discard()
            throw LayoutError.digestMismatch(expected: descriptor.digest, actual: actual)
        }
        // rename(2) replaces a copy another process stored meanwhile: the content is the same.
        guard rename(ingest.path.string, blobPath(descriptor.digest)) == 0 else {
            let reason = String(cString: strerror(errno))
            await ingest.discard()
            throw LayoutError.unwritable(path: blobPath(descriptor.digest), reason: reason)
        }
        return ingest.received
    }

    /// Removes ingest files left behind by processes that died mid-download: those whose lock
    /// nobody holds any more. Downloads under way in other processes are left alone. Also
    /// removes the temporary files of atomic writes (`index.json.tmp-PID-…`) whose process is
    /// gone.
    /// - Returns: how many ingest files were removed.
    @discardableResult
    public func removeAbandonedIngests() async throws -> Int {
        removeAbandonedTemporaryFiles()
        return try await ingestLock.withLock {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: ingestDirectory)) ?? []
            var removed = 0
            for name in names {
                let path = ingestDirectory + "/" + name
                let descriptor = open(path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { continue }
                if flock(descriptor, LOCK_EX | LOCK_NB) == 0, unlink(path) == 0 { removed += 1 }
                close(descriptor)
            }
            return removed
        }
    }

    /// Temporary files of ``writeAtomically(_:to:replacing:)`` name their process: those of a
    /// process that no longer runs can only be left over.
    private func removeAbandonedTemporaryFiles() {
        for directory in [root, privateDirectory] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                guard let marker = name.range(of: ".tmp-"),
                    let pid = Int32(name[marker.upperBound...].prefix { $0 != "-" }),
                    kill(pid, 0) != 0, errno == ESRCH
                else { continue }
                unlink(directory + "/" + name)
            }
        }
    }
}
