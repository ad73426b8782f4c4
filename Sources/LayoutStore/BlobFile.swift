import NIOCore
import OCIModel

#if canImport(Glibc)
    import Glibc
#endif

extension LayoutStore {
    /// A cached blob's bytes, read in 1 MiB pieces as they are consumed; the sequence fails if
    /// the file holds more or fewer bytes than `descriptor.size`.
    /// - Parameter range: Only these bytes (an upload's chunk); all of them by default.
    public func contents(of descriptor: Descriptor, range: Range<Int64>? = nil) throws -> BlobContents {
        guard hasBlob(descriptor.digest) else { throw LayoutError.missingBlob(descriptor.digest) }
        guard descriptor.size >= 0, range.map({ $0.lowerBound >= 0 && $0.upperBound <= descriptor.size }) ?? true else {
            throw LayoutError.unreadable(
                path: blobPath(descriptor.digest), reason: "asked for bytes outside its \(descriptor.size) bytes")
        }
        return BlobContents(
            path: blobPath(descriptor.digest), size: descriptor.size, range: range ?? 0..<descriptor.size)
    }
}

/// A cached blob, read piece by piece from its file (opened on the first read).
public struct BlobContents: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    static let chunkSize = 1024 * 1024

    let path: String
    /// The size the blob's descriptor announces.
    public let size: Int64
    /// The bytes this sequence yields.
    let range: Range<Int64>

    public func makeAsyncIterator() -> Iterator { Iterator(path: path, size: size, range: range) }

    public struct Iterator: AsyncIteratorProtocol {
        let path: String
        let size: Int64
        let range: Range<Int64>
        private var file: BlobFile?
        private var done = false

        init(path: String, size: Int64, range: Range<Int64>) {
            self.path = path
            self.size = size
            self.range = range
        }

        public mutating func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            if file == nil { file = try BlobFile(path: path, size: size, from: range.lowerBound) }
            // A range to the end is read to the end of the file, which proves its size; others stop at their end.
            let toTheEnd = range.upperBound == size
            let count =
                toTheEnd ? BlobContents.chunkSize : Int(Swift.min(range.upperBound - file!.offset, Int64(BlobContents.chunkSize)))
            if count > 0, let chunk = try file!.read(upTo: count) { return chunk }
            done = true
            if toTheEnd { try file!.checkComplete() } else { try file!.checkReached(range.upperBound) }
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
    /// Where the next read starts.
    private(set) var offset: Int64

    init(path: String, size: Int64, from offset: Int64 = 0) throws {
        self.path = path
        self.size = size
        self.offset = offset
        descriptor = try openRegularFile(path)
        if offset > 0, lseek(descriptor, off_t(offset), SEEK_SET) != off_t(offset) {
            close(descriptor)
            throw LayoutError.unreadable(path: path, reason: "cannot seek to byte \(offset)")
        }
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

    /// A range's reading reached its end (the file was not shorter).
    func checkReached(_ end: Int64) throws {
        guard offset == end else {
            throw LayoutError.unreadable(path: path, reason: "it ends at byte \(offset), before byte \(end)")
        }
    }

    /// The file ended where its descriptor said it would (a tar header promised that size).
    func checkComplete() throws {
        guard offset == size else {
            throw LayoutError.unreadable(path: path, reason: "it holds \(offset) bytes, its descriptor says \(size)")
        }
    }
}

/// Opens a file for reading only when it is a regular file: a FIFO or device (in a cache
/// restored from elsewhere) is never waited on, and a symbolic link is not followed unless asked.
/// - Returns: the open file descriptor; the caller closes it.
func openRegularFile(_ path: String, followingLinks: Bool = false) throws(LayoutError) -> Int32 {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followingLinks ? 0 : O_NOFOLLOW))
    guard descriptor >= 0 else {
        let reason = errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))
        throw LayoutError.unreadable(path: path, reason: reason)
    }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
        close(descriptor)
        throw LayoutError.unreadable(path: path, reason: "it is not a regular file")
    }
    return descriptor
}

/// The kind of a file, without following a link: nil for a regular file, else what it is.
func irregularKind(_ path: String) -> String? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return String(cString: strerror(errno)) }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFLNK: return "a symbolic link"
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO"
    case S_IFSOCK: return "a socket"
    default: return "a device"
    }
}

extension LayoutStore {
    /// Reads a small file whole, only if it is a regular file (see ``openRegularFile(_:)``) of
    /// at most `limit` bytes: a FIFO, a device or a link to one never makes a read wait or grow.
    /// - Throws: ``LayoutError/unreadable(path:reason:)`` saying which of these it is not.
    public static func readFile(atPath path: String, limit: Int, followingLinks: Bool = false) throws(LayoutError) -> [UInt8] {
        let descriptor = try openRegularFile(path, followingLinks: followingLinks)
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw LayoutError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            guard bytes.count <= limit else {
                throw LayoutError.unreadable(path: path, reason: "it is larger than \(limit / 1024) KiB, more than it can hold")
            }
        }
    }
}
