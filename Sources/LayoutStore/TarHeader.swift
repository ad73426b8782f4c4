/// POSIX ustar headers (POSIX.1-2001 `pax` interchange format, ustar part), enough to write an
/// archive of regular files: the 512-byte header, the padding after the content, the end marker.
enum Tar {
    static let blockSize = 512

    /// The header of a regular file, mode 0644, owned by root, dated the epoch (so that the same
    /// content always makes the same archive). Sizes over 8 GiB use the base-256 form GNU tar reads.
    static func header(name: String, size: Int64) -> [UInt8] {
        precondition(name.utf8.count <= 100, "tar names here are short: \(name)")
        var header = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int64, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(name, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        if size < 0o77777777777 {
            put(octal(size, width: 12), at: 124)
        } else {
            header[124] = 0x80
            for index in 0..<8 { header[135 - index] = UInt8(truncatingIfNeeded: size >> (8 * index)) }
        }
        put(octal(0, width: 12), at: 136)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        put("00", at: 263)
        // The checksum is computed with its own field read as spaces.
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(octal(Int64(checksum), width: 7), at: 148)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        return header
    }

    /// Zero bytes that fill the last block of a file of `size` bytes.
    static func padding(after size: Int64) -> Int {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    /// Two zero blocks end an archive.
    static let end = [UInt8](repeating: 0, count: 2 * blockSize)
}
