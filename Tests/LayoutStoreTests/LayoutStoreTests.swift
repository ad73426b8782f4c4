import Foundation
import NIOCore
import OCIModel
import Testing

@testable import LayoutStore

func temporaryDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func descriptor(for bytes: [UInt8]) -> Descriptor {
    Descriptor(
        mediaType: MediaType.ociLayerGzip, digest: SHA256.digest(of: bytes), size: Int64(bytes.count))
}

@Suite struct LayoutStoreTests {
    @Test func newCacheIsAValidEmptyLayout() throws {
        let root = temporaryDirectory()
        let store = try LayoutStore(root: root)
        #expect(FileManager.default.contents(atPath: root + "/oci-layout") == Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        #expect(try store.index().manifests.isEmpty)
        #expect(FileManager.default.fileExists(atPath: root + "/blobs/sha256"))
    }

    @Test func temporaryFilesOfDeadProcessesAreSweptAndLiveOnesKept() async throws {
        let root = temporaryDirectory()
        let store = try LayoutStore(root: root)
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = root + "/index.json.tmp-\(finished.processIdentifier)-1"
        let live = root + "/.swift-images/metadata.json.tmp-\(getpid())-2"
        for path in [dead, live] { #expect(FileManager.default.createFile(atPath: path, contents: Data("{".utf8))) }
        try await store.removeAbandonedIngests()
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
    }

    @Test func ingestStoresVerifiedContentInChunks() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let blob = descriptor(for: bytes)
        try await store.ingest(blob) { ingest in
            for start in stride(from: 0, to: bytes.count, by: 65_536) {
                try await ingest.write(ByteBuffer(bytes: bytes[start..<min(start + 65_536, bytes.count)]))
            }
        }
        #expect(FileManager.default.contents(atPath: store.blobPath(blob.digest)) == Data(bytes))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.ingestDirectory).isEmpty)
    }

    @Test func wrongContentIsDiscardedAndNothingIsStored() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let announced = descriptor(for: Array("the real content".utf8))
        await #expect {
            try await store.ingest(announced) { try await $0.write(ByteBuffer(string: "fake content!!!!")) }
        } throws: { error in
            guard case LayoutError.digestMismatch(let expected, _) = error else { return false }
            return expected == announced.digest && String(describing: error).contains(announced.digest.description)
        }
        #expect(!store.hasBlob(announced.digest))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.ingestDirectory).isEmpty)
    }

    @Test func bytesBeyondTheAnnouncedSizeAreRefusedAtOnce() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let announced = descriptor(for: Array("12345".utf8))
        var chunks = 0
        await #expect(throws: LayoutError.self) {
            try await store.ingest(announced) { ingest in
                for _ in 0..<1000 {
                    chunks += 1
                    try await ingest.write(ByteBuffer(string: "1234"))
                }
            }
        }
        #expect(chunks == 2)
        #expect(!store.hasBlob(announced.digest))
    }

    @Test func shortContentIsRefused() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let announced = descriptor(for: Array("12345".utf8))
        await #expect {
            try await store.ingest(announced) { try await $0.write(ByteBuffer(string: "123")) }
        } throws: { error in
            if case LayoutError.sizeMismatch(_, 5, 3) = error { return true }
            return false
        }
        #expect(!store.hasBlob(announced.digest))
    }

    @Test func aFailingProducerLeavesNoPartialFile() async throws {
        struct Broken: Error {}
        let store = try LayoutStore(root: temporaryDirectory())
        let announced = descriptor(for: Array(repeating: 7, count: 100))
        await #expect(throws: Broken.self) {
            try await store.ingest(announced) { ingest in
                try await ingest.write(ByteBuffer(bytes: Array(repeating: 7, count: 50)))
                throw Broken()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.ingestDirectory).isEmpty)
        #expect(!store.hasBlob(announced.digest))
    }

    @Test func recordingTheSameImageAgainReplacesItsEntry() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let reference = try Reference(parsing: "localhost:5000/app:1")
        let amd64 = Platform(os: "linux", architecture: "amd64")
        let arm64 = Platform(os: "linux", architecture: "arm64")
        let first = descriptor(for: Array("one".utf8))
        let second = descriptor(for: Array("two".utf8))
        try await store.record([LayoutStore.entry(for: first, reference: reference, platform: amd64)])
        try await store.record([LayoutStore.entry(for: first, reference: reference, platform: arm64)])
        try await store.record([LayoutStore.entry(for: second, reference: reference, platform: amd64)])
        let entries = try store.index().manifests
        #expect(entries.count == 2)
        #expect(entries.first { $0.platform == amd64 }?.digest == second.digest)
        #expect(entries.allSatisfy { $0.annotations?[LayoutStore.refNameAnnotation] == "localhost:5000/app:1" })
        #expect(entries.allSatisfy { $0.annotations?[LayoutStore.containerdNameAnnotation] == "localhost:5000/app:1" })
    }

    @Test func concurrentWritersLoseNoEntry() async throws {
        let root = temporaryDirectory()
        let platform = Platform(os: "linux", architecture: "amd64")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<40 {
                group.addTask {
                    // A store per task, as separate processes would have.
                    let store = try LayoutStore(root: root)
                    let reference = try Reference(parsing: "localhost:5000/app:\(number)")
                    try await store.record([
                        LayoutStore.entry(for: descriptor(for: Array("\(number)".utf8)), reference: reference, platform: platform)
                    ])
                    try await store.markUsed([LayoutStore.imageKey(reference, platform)])
                }
            }
            try await group.waitForAll()
        }
        let store = try LayoutStore(root: root)
        #expect(try store.index().manifests.count == 40)
        #expect(try store.metadata().images.count == 40)
    }

    @Test func aFileInTheWayIsAClearError() throws {
        let root = temporaryDirectory()
        #expect(FileManager.default.createFile(atPath: root + "/file", contents: Data("x".utf8)))
        #expect {
            try LayoutStore(root: root + "/file/cache")
        } throws: { error in
            String(describing: error).contains("cannot write the cache at \(root)/file/cache")
        }
    }

    @Test func readBlobDetectsCorruptionOnDisk() throws {
        let store = try LayoutStore(root: temporaryDirectory())
        let bytes = Array("manifest".utf8)
        let blob = descriptor(for: bytes)
        try store.writeBlob(bytes, as: blob)
        #expect(try store.readBlob(blob.digest) == bytes)
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: store.blobPath(blob.digest)))
        #expect(throws: LayoutError.self) { try store.readBlob(blob.digest) }
    }
}

extension LayoutStoreTests {
    @Test func abandonedIngestsAreSweptAndLiveOnesKept() async throws {
        let store = try LayoutStore(root: temporaryDirectory())
        // What a killed process leaves: a partial file nobody holds a lock on.
        #expect(FileManager.default.createFile(atPath: store.ingestDirectory + "/dead.partial", contents: Data(repeating: 1, count: 10)))
        let bytes = Array("live content".utf8)
        let blob = descriptor(for: bytes)
        var sweptDuringIngest = -1
        try await store.ingest(blob) { ingest in
            try await ingest.write(ByteBuffer(bytes: bytes.prefix(4)))
            // A sweep by "another process" while this download is under way.
            sweptDuringIngest = try await LayoutStore(root: store.root).removeAbandonedIngests()
            try await ingest.write(ByteBuffer(bytes: bytes.dropFirst(4)))
        }
        #expect(sweptDuringIngest == 1)
        #expect(store.hasBlob(blob.digest))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.ingestDirectory).isEmpty)
    }
}
