import CZlib
import CZstd

/// A streaming decompressor: input in pieces, output in pieces, bounded memory.
protocol Decompressor: AnyObject {
    /// Decompresses `input`, handing each piece of output to `body`.
    func decompress(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Call after the last input: throws if the compressed stream was cut short.
    func finish() throws
}

/// A compressed stream that cannot be decompressed.
struct DecompressionFailed: Error, CustomStringConvertible {
    let format: String
    let reason: String
    var description: String { "not a valid \(format) stream: \(reason)" }
}

/// Decompresses gzip (one member or several, as `pigz` writes) through zlib.
final class GzipInflater: Decompressor {
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 256 * 1024)
    private var atMemberEnd = false

    init() throws {
        // 15 + 16: a 32 KiB window, gzip framing.
        let status = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw DecompressionFailed(format: "gzip", reason: "zlib could not start (\(status))") }
    }

    deinit { inflateEnd(&stream) }

    func decompress(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        defer {
            stream.next_in = nil
            stream.avail_in = 0
        }
        while true {
            if atMemberEnd {
                // Another gzip member follows the one that ended.
                guard inflateReset(&stream) == Z_OK else {
                    throw DecompressionFailed(format: "gzip", reason: "zlib could not restart")
                }
                atMemberEnd = false
            }
            var status: Int32 = Z_OK
            var filled = false
            try output.withUnsafeMutableBytes { buffer in
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(buffer.count)
                status = CZlib.inflate(&stream, Z_NO_FLUSH)
                let produced = buffer.count - Int(stream.avail_out)
                filled = produced == buffer.count
                if produced > 0 { try body(UnsafeRawBufferPointer(rebasing: buffer[0..<produced])) }
            }
            switch status {
            case Z_STREAM_END:
                atMemberEnd = true
                if stream.avail_in == 0 { return }
            case Z_OK, Z_BUF_ERROR:
                // A full output buffer may leave more output pending even when the input is used up.
                if stream.avail_in == 0 && !filled { return }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DecompressionFailed(format: "gzip", reason: message)
            }
        }
    }

    func finish() throws {
        guard atMemberEnd else { throw DecompressionFailed(format: "gzip", reason: "it ends before its end") }
    }
}

/// Decompresses zstd (one frame or several) through libzstd.
///
/// Frames may ask for a window of up to 2 GiB (`zstd --long=31`, the most zstd writes), and are
/// given it: libzstd's default limit (128 MiB) would call such a valid layer corrupt. A frame's
/// window is memory the decompressor holds while it runs, so this bounds it at 2 GiB.
final class ZstdDecompressor: Decompressor {
    /// log2 of the largest window a frame may ask for.
    static let windowLogMaximum: Int32 = 31

    private let stream: OpaquePointer
    private var output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    /// libzstd's last answer: 0 when a frame has just been completely decoded.
    private var remainder = 0

    init() throws {
        guard let stream = ZSTD_createDStream() else {
            throw DecompressionFailed(format: "zstd", reason: "libzstd could not start")
        }
        self.stream = stream
        ZSTD_initDStream(stream)
        guard ZSTD_isError(ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, Self.windowLogMaximum)) == 0 else {
            ZSTD_freeDStream(stream)
            throw DecompressionFailed(format: "zstd", reason: "libzstd does not take a 2 GiB window")
        }
    }

    deinit { ZSTD_freeDStream(stream) }

    func decompress(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var filled = false
            try output.withUnsafeMutableBytes { buffer in
                var destination = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let result = ZSTD_decompressStream(stream, &destination, &source)
                if ZSTD_isError(result) != 0 {
                    throw DecompressionFailed(format: "zstd", reason: String(cString: ZSTD_getErrorName(result)))
                }
                remainder = result
                filled = destination.pos == destination.size
                if destination.pos > 0 { try body(UnsafeRawBufferPointer(rebasing: buffer[0..<destination.pos])) }
            }
            // A full output buffer may leave more output pending even when the input is used up.
            if source.pos == source.size && !filled { return }
        }
    }

    func finish() throws {
        guard remainder == 0 else { throw DecompressionFailed(format: "zstd", reason: "it ends inside a frame") }
    }
}
