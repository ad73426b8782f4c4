import Foundation
import NIOCore
import OCIModel
import Testing

@testable import LayoutStore

/// A tar made by `Tar.header`, with the files given, and the end marker unless told otherwise.
func tar(_ files: [(String, Int)], end: Bool = true) -> [UInt8] {
    var bytes: [UInt8] = []
    for (name, size) in files {
        bytes += Tar.header(name: name, size: Int64(size))
        bytes += [UInt8](repeating: 0x41, count: size) + [UInt8](repeating: 0, count: Tar.padding(after: Int64(size)))
    }
    return end ? bytes + Tar.end : bytes
}

/// Compresses with the system's `gzip` or `zstd`.
func compress(_ bytes: [UInt8], _ tool: String = "gzip") throws -> [UInt8] {
    let path = temporaryDirectory() + "/data"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = tool == "gzip" ? ["gzip", "-n", path] : ["zstd", "-q", "--rm", path]
    try process.run()
    process.waitUntilExit()
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + (tool == "gzip" ? ".gz" : ".zst"))))
}

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

@Suite struct LayerMeasurementTests {
    func stored(_ blob: [UInt8], in store: LayoutStore) async throws -> Descriptor {
        let layer = descriptor(for: blob)
        try await store.ingest(layer) { try await $0.write(ByteBuffer(bytes: blob)) }
        return layer
    }

    @Test func gzipAndPlainLayersMeasureTheSame() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let content = tar([("x", 3000), ("y", 1_000_000)])
        let diffID = SHA256.digest(of: content)
        for blob in [
            content, try compress(content),
            try compress(Array(content.prefix(4096))) + (try compress(Array(content.dropFirst(4096)))),
        ] {
            let sizes = try await store.measureLayer(try await stored(blob, in: store), diffID: diffID)
            #expect(sizes == LayerSizes(tar: Int64(content.count), unpacked: 1_003_000, entries: 2, diffID: diffID))
        }
    }

    @Test func aTruncatedGzipLayerIsCorrupt() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let compressed = try compress(tar([("x", 100_000)]))
        let layer = try await stored(Array(compressed.prefix(compressed.count - 20)), in: store)
        await #expect {
            try await store.measureLayer(layer, diffID: nil)
        } throws: { error in
            guard case LayoutError.corruptLayer(let digest, _) = error else { return false }
            return digest == layer.digest
        }
    }

    @Test func aWrongDiffIDIsNamed() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let layer = try await stored(try compress(tar([("x", 10)])), in: store)
        let claimed = SHA256.digest(of: [1, 2, 3])
        await #expect {
            try await store.measureLayer(layer, diffID: claimed)
        } throws: { error in
            guard case LayoutError.diffIDMismatch(let digest, let expected, _) = error else { return false }
            return digest == layer.digest && expected == claimed
        }
    }

    @Test func zstdLayersMeasureLikeTheirTar() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let content = tar([("x", 3000), ("y", 2_000_000)])
        let diffID = SHA256.digest(of: content)
        let twoFrames = try compress(Array(content.prefix(5000)), "zstd") + (try compress(Array(content.dropFirst(5000)), "zstd"))
        for blob in [try compress(content, "zstd"), twoFrames] {
            let sizes = try await store.measureLayer(try await stored(blob, in: store), diffID: diffID)
            #expect(sizes == LayerSizes(tar: Int64(content.count), unpacked: 2_003_000, entries: 2, diffID: diffID))
        }
        let cut = try compress(content, "zstd")
        let layer = try await stored(Array(cut.prefix(cut.count / 2)), in: store)
        await #expect {
            try await store.measureLayer(layer, diffID: nil)
        } throws: { error in
            guard case LayoutError.corruptLayer(_, let reason) = error else { return false }
            return reason.contains("zstd")
        }
    }

    @Test func recordedSizesSurviveAndOldMetadataStillReads() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        try Data(#"{"version": 1, "images": {}}"#.utf8).write(to: URL(fileURLWithPath: store.metadataPath))
        #expect(try store.recordedLayerSizes().isEmpty)
        let digest = SHA256.digest(of: [1])
        let sizes = LayerSizes(tar: 1024, unpacked: 10, entries: 1, diffID: digest)
        try await store.recordLayerSizes([digest: sizes])
        try await store.markUsed(["x linux/amd64"])
        #expect(try store.recordedLayerSizes() == [digest: sizes])
    }
}
