import NIOCore
import OCIModel

#if canImport(Glibc)
    import Glibc
#endif

extension LayoutStore {
    /// A cached blob's bytes, read in 1 MiB pieces as they are consumed; the sequence fails if
    /// the file holds more or fewer bytes than `descriptor.size`.
    public func contents(of descriptor: Descriptor) throws -> BlobContents {
        guard hasBlob(descriptor.digest) else { throw LayoutError.missingBlob(descriptor.digest) }
        return BlobContents(path: blobPath(descriptor.digest), size: descriptor.size)
    }
}

/// A cached blob, read piece by piece from its file (opened on the first read).
public struct BlobContents: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    static let chunkSize = 1024 * 1024

    let path: String
    /// The size the blob's descriptor announces.
    public let size: Int64

    public func makeAsyncIterator() -> Iterator { Iterator(path: path, size: size) }

    public struct Iterator: AsyncIteratorProtocol {
        let path: String
        let size: Int64
        private var file: BlobFile?
        private var done = false

        init(path: String, size: Int64) {
            self.path = path
            self.size = size
        }

        public mutating func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            if file == nil { file = try BlobFile(path: path, size: size) }
            if let chunk = try file!.read(upTo: BlobContents.chunkSize) { return chunk }
            done = true
            try file!.checkComplete()
            file = nil
            return nil
        }
    }
}

/// A blob file open for reading; closed when done or when dropped.
///
/// Reads are plain `read(2)` calls on the task's thread: archives and blob contents are consumed
/// by async tasks (an HTTP body writer, a server's connection task), never on an event loop, and
/// the blobs are local files.
final class BlobFile {
    let path: String
    let size: Int64
    private let descriptor: Int32
    private var offset: Int64 = 0

    init(path: String, size: Int64) throws {
        self.path = path
        self.size = size
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LayoutError.unreadable(path: path, reason: String(cString: strerror(errno))) }
    }

    deinit { close(descriptor) }

    /// The next piece, or nil at the end of the file.
    func read(upTo count: Int) throws -> ByteBuffer? {
        var buffer = ByteBuffer()
        let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            while true {
                let result = Glibc.read(descriptor, pointer.baseAddress, count)
                if result >= 0 { return result }
                if errno != EINTR { throw LayoutError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            }
        }
        offset += Int64(read)
        guard offset <= size else {
            throw LayoutError.unreadable(path: path, reason: "it holds more than the \(size) bytes its descriptor says")
        }
        return read == 0 ? nil : buffer
    }

    /// The file ended where its descriptor said it would (a tar header promised that size).
    func checkComplete() throws {
        guard offset == size else {
            throw LayoutError.unreadable(path: path, reason: "it holds \(offset) bytes, its descriptor says \(size)")
        }
    }
}
