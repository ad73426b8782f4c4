import CZlib

/// Decompresses gzip (one member or several, as `pigz` writes) through zlib, piece by piece,
/// with bounded memory.
final class GzipInflater {
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 256 * 1024)
    private var atMemberEnd = false

    struct Failed: Error, CustomStringConvertible {
        let reason: String
        var description: String { "not a valid gzip stream: \(reason)" }
    }

    init() throws {
        // 15 + 16: a 32 KiB window, gzip framing.
        let status = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failed(reason: "zlib could not start (\(status))") }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses `input`, handing each piece of output to `body`.
    func inflate(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
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
                guard inflateReset(&stream) == Z_OK else { throw Failed(reason: "zlib could not restart") }
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
                throw Failed(reason: message)
            }
        }
    }

    /// Call after the last input: the stream must have ended at a member's end.
    func finish() throws {
        guard atMemberEnd else { throw Failed(reason: "it ends before its end") }
    }
}
