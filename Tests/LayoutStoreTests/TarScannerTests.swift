import Foundation
import NIOCore
import OCIModel
import Testing

@testable import LayoutStore

@Suite struct TarScannerTests {
    func scan(_ bytes: [UInt8], pieces: Int = 7) throws -> TarScanner {
        var scanner = TarScanner()
        // Fed in uneven pieces, so that headers and padding straddle them.
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + max(1, bytes.count / pieces) + 3)
            try bytes[start..<end].withUnsafeBytes { try scanner.consume($0) }
            start = end
        }
        try scanner.finish()
        return scanner
    }

    @Test func addsUpTheSizesOfItsEntries() throws {
        let scanner = try scan(tar([("a", 0), ("b", 1), ("c", 512), ("d", 513), ("e", 100_000)]))
        #expect(scanner.unpacked == 101_026)
        #expect(scanner.entries == 5)
    }

    @Test func aStreamWithoutItsEndBlocksIsAccepted() throws {
        #expect(try scan(tar([("a", 10), ("b", 700)], end: false)).unpacked == 710)
    }

    @Test func whatFollowsTheEndMarkerIsIgnored() throws {
        #expect(try scan(tar([("a", 10)]) + [UInt8](repeating: 7, count: 1000)).entries == 1)
    }

    @Test func aStreamCutInsideAnEntryOrAHeaderIsAnError() {
        let whole = tar([("a", 2000)], end: false)
        #expect(throws: TarScanner.Malformed.self) { try scan(Array(whole.prefix(1000))) }
        #expect(throws: TarScanner.Malformed.self) { try scan(Array(whole.prefix(300))) }
    }

    @Test func aHeaderWithAWrongChecksumIsAnError() {
        var bytes = tar([("a", 10)])
        bytes[0] = UInt8(ascii: "b")
        #expect(throws: TarScanner.Malformed.self) { try scan(bytes) }
    }

    @Test func aPAXSizeRecordOverridesTheHeaderSize() throws {
        // An extended header announcing 9,000,000,000 bytes for the next entry, then an entry
        // whose own header says 0 (a directory: no data follows, whatever the size).
        let record = "19 size=9000000000\n"
        let extended = retyped(Tar.header(name: "PaxHeader", size: Int64(record.utf8.count)), "x")
        let directory = retyped(Tar.header(name: "big", size: 0), "5")
        let bytes =
            extended + Array(record.utf8) + [UInt8](repeating: 0, count: 512 - record.utf8.count) + directory + Tar.end
        let scanner = try scan(bytes)
        #expect(scanner.unpacked == 9_000_000_000)
        #expect(scanner.entries == 1)
    }

    /// `header` with another type flag, and its checksum made right again.
    func retyped(_ header: [UInt8], _ type: Character) -> [UInt8] {
        var block = header
        block[156] = type.asciiValue!
        let sum = TarScanner.checksum(block, signed: false)
        let digits = Array(String(sum, radix: 8).utf8)
        let field = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits + [0, UInt8(ascii: " ")]
        block.replaceSubrange(148..<156, with: field)
        return block
    }

    @Test(arguments: [
        ("00000001750\0", 1000 as Int64?), ("1750 \0      ", 1000), ("            ", 0), ("12x4", nil),
    ])
    func octalFields(text: String, value: Int64?) {
        #expect(TarScanner.number(ArraySlice(Array(text.utf8))) == value)
    }

    @Test func base256Sizes() {
        var field = [UInt8](repeating: 0, count: 12)
        field[0] = 0x80
        field[11] = 0x02
        field[10] = 0x01
        #expect(TarScanner.number(field[...]) == 258)
    }
}
