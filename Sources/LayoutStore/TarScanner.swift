import Foundation

/// Reads a tar stream's headers as the bytes pass, without keeping the files' contents, and
/// adds up what Docker counts as a layer's size: the `Size` of every entry (regular files; hard
/// links, directories and the like carry 0), with PAX `size` records applied, the way
/// `archive/tar` reports headers to Docker's `UnpackLayer`.
///
/// Tolerates what Docker tolerates: a stream that ends after an entry without the two zero
/// blocks, and anything after the end marker. A stream cut inside a header or an entry, or a
/// header whose checksum is wrong, is an error.
struct TarScanner {
    /// The sum of the entries' sizes.
    private(set) var unpacked: Int64 = 0
    /// How many entries (files, directories, links…) the layer holds.
    private(set) var entries = 0

    private var header: [UInt8] = []
    /// Bytes of entry data and padding still to pass over.
    private var skipping: Int64 = 0
    /// The PAX extended header being collected, and how much of it is left.
    private var extended: [UInt8]?
    private var extendedRemaining = 0
    private var extendedPadding = 0
    /// A `size` from the PAX header, for the next entry.
    private var sizeOverride: Int64?
    private var ended = false

    static let blockSize = 512
    /// Links, devices, directories and FIFOs: no data follows, whatever their size says.
    static let headerOnlyTypes = Set("123456".utf8)
    /// PAX headers are small; a bigger one is not a layer we want to parse.
    static let maximumExtendedHeader = 1 << 20

    struct Malformed: Error, CustomStringConvertible {
        let reason: String
        var description: String { "not a valid tar stream: \(reason)" }
    }

    mutating func consume(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count, !ended {
            if skipping > 0 {
                let step = Int(min(skipping, Int64(bytes.count - offset)))
                skipping -= Int64(step)
                offset += step
            } else if extended != nil && (extendedRemaining > 0 || extendedPadding > 0) {
                if extendedRemaining > 0 {
                    let step = min(extendedRemaining, bytes.count - offset)
                    extended!.append(contentsOf: bytes[offset..<offset + step])
                    extendedRemaining -= step
                    offset += step
                } else {
                    let step = min(extendedPadding, bytes.count - offset)
                    extendedPadding -= step
                    offset += step
                }
                if extendedRemaining == 0 && extendedPadding == 0 {
                    sizeOverride = Self.paxSize(extended!)
                    extended = nil
                }
            } else {
                let step = min(Self.blockSize - header.count, bytes.count - offset)
                header.append(contentsOf: bytes[offset..<offset + step])
                offset += step
                if header.count == Self.blockSize {
                    try process(header)
                    header.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    /// Call at the end of the stream.
    func finish() throws {
        guard !ended else { return }
        if !header.isEmpty { throw Malformed(reason: "it ends inside a header") }
        if skipping > 0 || extended != nil { throw Malformed(reason: "it ends inside an entry") }
    }

    private mutating func process(_ block: [UInt8]) throws {
        if block.allSatisfy({ $0 == 0 }) {
            // The end marker (its second block, and any padding after it, are not needed).
            ended = true
            return
        }
        guard let checksum = Self.octal(block[148..<156]),
            checksum == Self.checksum(block, signed: false) || checksum == Self.checksum(block, signed: true)
        else {
            throw Malformed(reason: "a header's checksum does not match (after \(entries) entries)")
        }
        guard let headerSize = Self.number(block[124..<136]), headerSize >= 0 else {
            throw Malformed(reason: "a header has an invalid size (after \(entries) entries)")
        }
        let type = block[156]
        let padded = { (size: Int64) in size + Int64((Self.blockSize - Int(size % Int64(Self.blockSize))) % Self.blockSize) }
        switch type {
        case UInt8(ascii: "x"):
            guard headerSize <= Self.maximumExtendedHeader else { throw Malformed(reason: "a PAX header of \(headerSize) bytes") }
            extended = []
            extendedRemaining = Int(headerSize)
            extendedPadding = Int(padded(headerSize) - headerSize)
            if headerSize == 0 { extended = nil }
        case UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
            // Global PAX records, GNU long names: metadata for what follows, not entries.
            skipping = padded(headerSize)
        default:
            let size = sizeOverride ?? headerSize
            sizeOverride = nil
            entries += 1
            unpacked += size
            skipping = Self.headerOnlyTypes.contains(type) ? 0 : padded(size)
        }
    }

    /// A numeric header field: octal text, or base-256 when the high bit of its first byte is set.
    static func number(_ field: ArraySlice<UInt8>) -> Int64? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x7f)
            for byte in field.dropFirst() {
                guard value < Int64.max >> 8 else { return nil }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        return octal(field)
    }

    static func octal(_ field: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value < Int64.max >> 3 else { return nil }
                value = value << 3 | Int64(byte - UInt8(ascii: "0"))
                digits += 1
            case 0, UInt8(ascii: " "):
                if digits > 0 { return value }
            default:
                return nil
            }
        }
        return value
    }

    /// The header checksum: the sum of its bytes with the checksum field taken as spaces.
    static func checksum(_ block: [UInt8], signed: Bool) -> Int64 {
        var sum: Int64 = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            sum += signed ? Int64(Int8(bitPattern: value)) : Int64(value)
        }
        return sum
    }

    /// The `size` record of a PAX extended header (`"NN size=1234\n"` records).
    static func paxSize(_ records: [UInt8]) -> Int64? {
        var found: Int64?
        var rest = records[...]
        while let space = rest.firstIndex(of: UInt8(ascii: " ")),
            let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self)), length > 0,
            length <= rest.count
        {
            let record = rest[rest.index(after: space)..<rest.startIndex + length]
            let text = String(decoding: record, as: UTF8.self)
            if text.hasPrefix("size="), let value = Int64(text.dropFirst("size=".count).trimmingCharacters(in: .newlines)) {
                found = value
            }
            rest = rest[(rest.startIndex + length)...]
        }
        return found
    }
}
