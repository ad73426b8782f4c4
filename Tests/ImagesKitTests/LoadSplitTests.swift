import LayoutStore
import OCIModel
import Testing

@testable import ImagesKit

@Suite struct LoadSplitTests {
    func image(_ name: String, layers: [Character], size: Int64 = 10) throws -> ArchiveImage {
        let descriptors = layers.map {
            Descriptor(
                mediaType: MediaType.ociLayerGzip, digest: try! Digest(parsing: "sha256:" + String(repeating: $0, count: 64)),
                size: size)
        }
        return ArchiveImage(
            reference: try Reference(parsing: name), tag: name,
            manifest: descriptors[0], config: descriptors[0], layers: descriptors)
    }

    @Test func imagesSharingALayerGoInOneTar() throws {
        let images = [
            try image("base", layers: ["a"]), try image("app", layers: ["a", "b"]), try image("tool", layers: ["a", "c"]),
            try image("other", layers: ["d"]), try image("third", layers: ["e"], size: 1000),
        ]
        let groups = LoadWorkflow.split(images, into: 4).map { Set($0.map(\.tag!)) }
        #expect(groups.count == 3)
        #expect(groups.contains(["base", "app", "tool"]))
        #expect(groups.contains(["other"]))
        #expect(groups.contains(["third"]))
    }

    @Test func familiesAreBalancedAcrossFewerTars() throws {
        let images = [
            try image("big", layers: ["a"], size: 100), try image("mid", layers: ["b"], size: 60),
            try image("small", layers: ["c"], size: 50),
        ]
        let groups = LoadWorkflow.split(images, into: 2).map { Set($0.map(\.tag!)) }
        #expect(groups.sorted { $0.count < $1.count } == [["big"], ["mid", "small"]])
        #expect(LoadWorkflow.split(images, into: 1).count == 1)
    }
}
