import Foundation

/// Reads a tar stream's headers as the bytes pass, without keeping the files' contents, and
/// adds up what Docker counts as a layer's size: the `Size` of every entry (regular files; hard
/// links, directories and the like carry 0), with PAX `size` records applied, the way
/// `archive/tar` reports headers to Docker's `UnpackLayer`.
///
/// Tolerates what Docker tolerates (Go's `archive/tar`): a stream that ends right after an
/// entry's data or padding without the two zero blocks, and anything after the end marker. A
/// stream cut inside a header, an entry or its padding, a header whose checksum is wrong, a
/// negative size, a PAX record that is not `LENGTH key=value\n`, a PAX header or GNU long name
/// over 1 MiB, and sizes that add up beyond `Int64` are errors; every number is checked before
/// it is used.
struct TarScanner {
    /// The sum of the entries' sizes.
    private(set) var unpacked: Int64 = 0
    /// How many entries (files, directories, links…) the layer holds.
    private(set) var entries = 0

    private var header: [UInt8] = []
    /// Bytes of entry data still to pass over, then of its padding.
    private var skipping: Int64 = 0
    private var padding = 0
    /// The padding of the entry just passed, while none of it has been seen: the stream may
    /// end there (Go's reader takes that as the end of the archive).
    private var paddingUntouched = false
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
    /// PAX headers and GNU long names are small; bigger ones are refused, as Go's reader
    /// refuses them (`maxSpecialFileSize`).
    static let maximumExtendedHeader: Int64 = 1 << 20

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
                paddingUntouched = skipping == 0 && padding > 0
            } else if padding > 0 {
                let step = min(padding, bytes.count - offset)
                padding -= step
                offset += step
                paddingUntouched = false
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
                    sizeOverride = try Self.paxSize(extended!)
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
        if padding > 0 && !paddingUntouched { throw Malformed(reason: "it ends inside an entry's padding") }
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
        guard let headerSize = Self.number(block[124..<136]) else {
            throw Malformed(reason: "a header has an invalid size field (after \(entries) entries)")
        }
        guard headerSize >= 0 else { throw Malformed(reason: "a header has a negative size (after \(entries) entries)") }
        let type = block[156]
        switch type {
        case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
            guard headerSize <= Self.maximumExtendedHeader else {
                throw Malformed(reason: "a PAX header or GNU long name of \(headerSize) bytes, over the 1 MiB limit")
            }
            if type == UInt8(ascii: "x") {
                extended = headerSize == 0 ? nil : []
                extendedRemaining = Int(headerSize)
                extendedPadding = Tar.padding(after: headerSize)
                if headerSize == 0 { sizeOverride = nil }
            } else {
                // Global PAX records, GNU long names: metadata for what follows, not entries.
                skipping = headerSize
                padding = Tar.padding(after: headerSize)
            }
        default:
            let size = sizeOverride ?? headerSize
            sizeOverride = nil
            guard size >= 0 else { throw Malformed(reason: "a PAX size is negative (after \(entries) entries)") }
            let (sum, overflow) = unpacked.addingReportingOverflow(size)
            guard !overflow else { throw Malformed(reason: "the entries' sizes add up beyond what can be counted") }
            entries += 1
            unpacked = sum
            if !Self.headerOnlyTypes.contains(type) {
                skipping = size
                padding = Tar.padding(after: size)
            }
        }
        paddingUntouched = false
    }

    /// A numeric header field: octal text, or base-256 when the high bit of its first byte is
    /// set (negative when the next bit is set too). nil when it is neither, or does not fit.
    static func number(_ field: ArraySlice<UInt8>) -> Int64? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            // Two's complement over the field, the marker bit taken as a sign extension.
            let negative = first & 0x40 != 0
            var value: Int64 = Int64(first & 0x3f) - (negative ? 0x40 : 0)
            for byte in field.dropFirst() {
                guard value <= Int64.max >> 8, value >= Int64.min >> 8 else { return nil }
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

    /// The `size` record of a PAX extended header (`"NN size=1234\n"` records), checked as Go's
    /// reader checks them: each record's length counts its own digits, space and newline.
    static func paxSize(_ records: [UInt8]) throws -> Int64? {
        func malformed(_ reason: String) -> Malformed { Malformed(reason: "a PAX header \(reason)") }
        var found: Int64?
        var rest = records[...]
        while !rest.isEmpty {
            guard let space = rest.prefix(20).firstIndex(of: UInt8(ascii: " ")),
                space > rest.startIndex, rest[rest.startIndex..<space].allSatisfy({ (0x30...0x39).contains($0) }),
                let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self))
            else { throw malformed("record does not start with its length") }
            let prefix = space - rest.startIndex + 1
            guard length > prefix, length <= rest.count else {
                throw malformed("record's length \(length) does not fit the record")
            }
            let end = rest.startIndex + length
            let record = rest[(space + 1)..<end]
            guard record.last == UInt8(ascii: "\n"), let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw malformed("record is not 'key=value' and a newline")
            }
            if record[record.startIndex..<equals].elementsEqual("size".utf8) {
                let text = String(decoding: record[(equals + 1)..<(end - 1)], as: UTF8.self)
                guard let value = Int64(text) else { throw malformed("size '\(text.prefix(40))' is not a number") }
                guard value >= 0 else { throw malformed("size is negative") }
                found = value
            }
            rest = rest[end...]
        }
        return found
    }
}
