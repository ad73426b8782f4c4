import Foundation
import NIOCore
import OCIModel
import Testing

@testable import LayoutStore

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
