import Foundation

/// Reads a tar stream's headers as the bytes pass, without keeping the files' contents, and
/// adds up what Docker counts as a layer's size: the `Size` of every entry as Go's
/// `archive/tar` reports it to Docker's `UnpackLayer` (PAX `size` records applied, a sparse
/// file's real size, hard links and other header-only entries with whatever size they carry).
///
/// Accepts and refuses what Go's reader does (the differential `TarOracleTests` hold it to
/// that): the stream may end at an entry boundary, inside an entry's padding, or after one zero
/// block, without the end marker; after the two zero blocks anything may follow. A stream cut
/// inside a header, an entry's data, a PAX header or a sparse map, a zero block followed by
/// anything but another, a header whose checksum is wrong, a negative size, a PAX record that
/// is not `LENGTH key=value\n`, a PAX header or GNU long name over 1 MiB, and sizes that add up
/// beyond `Int64` are errors; every number is checked before it is used.
struct TarScanner {
    /// The sum of the entries' sizes.
    private(set) var unpacked: Int64 = 0
    /// How many entries (files, directories, links, global PAX headers…) the layer holds.
    private(set) var entries = 0

    /// What the next bytes are.
    private enum Expecting {
        /// A header block (or the first block of the end marker).
        case header
        /// Old GNU sparse map extension blocks, then the entry's data.
        case sparseExtension(dataSize: Int64)
        /// The second block of the end marker.
        case secondZeroBlock
        /// Nothing more matters.
        case end
    }

    private var expecting = Expecting.header
    /// The block being collected.
    private var block: [UInt8] = []
    /// Bytes of entry data still to pass over, then of its padding (the stream may end there).
    private var skipping: Int64 = 0
    private var padding = 0
    /// The PAX extended header being collected, and how much of it is left.
    private var extended: [UInt8]?
    private var extendedRemaining = 0
    /// PAX records for the next entry.
    private var records = PAXRecords()

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
        while offset < bytes.count {
            if case .end = expecting { return }
            if skipping > 0 {
                let step = Int(min(skipping, Int64(bytes.count - offset)))
                skipping -= Int64(step)
                offset += step
            } else if extended != nil, extendedRemaining > 0 {
                let step = min(extendedRemaining, bytes.count - offset)
                extended!.append(contentsOf: bytes[offset..<offset + step])
                extendedRemaining -= step
                offset += step
                if extendedRemaining == 0 {
                    records = try PAXRecords(parsing: extended!)
                    extended = nil
                }
            } else if padding > 0 {
                let step = min(padding, bytes.count - offset)
                padding -= step
                offset += step
            } else {
                let step = min(Self.blockSize - block.count, bytes.count - offset)
                block.append(contentsOf: bytes[offset..<offset + step])
                offset += step
                if block.count == Self.blockSize {
                    try process(block)
                    block.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    /// Call at the end of the stream.
    func finish() throws {
        switch expecting {
        case .end: return
        case .secondZeroBlock:
            if !block.isEmpty { throw Malformed(reason: "it ends inside its end marker") }
        case .sparseExtension:
            throw Malformed(reason: "it ends inside a sparse file's map")
        case .header:
            if !block.isEmpty { throw Malformed(reason: "it ends inside a header") }
            if skipping > 0 || extendedRemaining > 0 { throw Malformed(reason: "it ends inside an entry") }
        }
        // Ended at an entry boundary, or inside padding: Go's reader takes that as the end.
    }

    private mutating func process(_ block: [UInt8]) throws {
        switch expecting {
        case .end:
            return
        case .secondZeroBlock:
            guard block.allSatisfy({ $0 == 0 }) else {
                throw Malformed(reason: "a zero block is followed by something else than the second zero block")
            }
            expecting = .end
        case .sparseExtension(let dataSize):
            // 21 entries of 24 bytes, then whether another extension block follows.
            if block[504] == 0 {
                expecting = .header
                skip(dataSize)
            }
        case .header:
            if block.allSatisfy({ $0 == 0 }) {
                expecting = .secondZeroBlock
            } else {
                try processHeader(block)
            }
        }
    }

    private mutating func processHeader(_ block: [UInt8]) throws {
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
                // Records for the next entry, read whole.
                extended = []
                extendedRemaining = Int(headerSize)
                padding = Tar.padding(after: headerSize)
                if headerSize == 0 { records = PAXRecords() }
            } else {
                // A global header is an entry of its own to Go's reader, of no size; GNU long
                // names are metadata for what follows.
                if type == UInt8(ascii: "g") { entries += 1 }
                skip(headerSize)
            }
        default:
            let dataSize = records.size ?? headerSize
            var size = records.realSize ?? dataSize
            if type == UInt8(ascii: "S"), let realSize = Self.number(block[483..<495]) {
                // Old GNU sparse: the header's size is what is stored, the real size is the file's.
                size = realSize
            }
            records = PAXRecords()
            guard size >= 0 else { throw Malformed(reason: "an entry's size is negative (after \(entries) entries)") }
            let (sum, overflow) = unpacked.addingReportingOverflow(size)
            guard !overflow else { throw Malformed(reason: "the entries' sizes add up beyond what can be counted") }
            entries += 1
            unpacked = sum
            if Self.headerOnlyTypes.contains(type) { return }
            if type == UInt8(ascii: "S"), block[482] != 0 {
                expecting = .sparseExtension(dataSize: dataSize)
            } else {
                skip(dataSize)
            }
        }
    }

    /// Passes over `size` bytes of data and their padding.
    private mutating func skip(_ size: Int64) {
        skipping = size
        padding = Tar.padding(after: size)
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

}

/// The records of a PAX extended header that change what an entry's size is: `size` (the data
/// stored), and for GNU sparse files `GNU.sparse.realsize` (format 1.0) or `GNU.sparse.size`
/// (0.x), the size of the file. Parsed as Go's reader parses them: each `LENGTH key=value\n`
/// record's length counts its own digits, space and newline.
struct PAXRecords {
    var size: Int64?
    var realSize: Int64?

    init() {}

    init(parsing bytes: [UInt8]) throws {
        func malformed(_ reason: String) -> TarScanner.Malformed { TarScanner.Malformed(reason: "a PAX header \(reason)") }
        var rest = bytes[...]
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
            let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
            if ["size", "GNU.sparse.realsize", "GNU.sparse.size"].contains(key) {
                let text = String(decoding: record[(equals + 1)..<(end - 1)], as: UTF8.self)
                guard let value = Int64(text) else { throw malformed("\(key) '\(text.prefix(40))' is not a number") }
                guard value >= 0 else { throw malformed("\(key) is negative") }
                if key == "size" { size = value } else { realSize = value }
            }
            rest = rest[end...]
        }
    }
}
