import OCIModel
import RegistryClient
import Testing

@testable import ImagesKit

/// Two declared images a push would put under one name with different content are refused
/// before anything is sent; the same content under one name, or different names, are not.
@Suite struct PushCollisionTests {
    static let destination = try! Mirror(parsing: "mirror.internal:5000/hub")

    static func plan(_ written: String, content: UInt8) throws -> PushWorkflow.Plan {
        let reference = try Reference(parsing: written)
        let top = Descriptor(mediaType: MediaType.ociManifest, digest: SHA256.digest(of: [content]), size: 1)
        return PushWorkflow.Plan(
            image: DeclaredImage(written: written, reference: reference, platforms: [try Platform(parsing: "linux/amd64")]),
            target: destination.reference(for: reference), top: top, manifests: [(top, [])], completedFromSource: 0)
    }

    @Test func oneNameForTwoContentsIsRefusedNamingBoth() throws {
        // Both come out as mirror.internal:5000/hub/team/app:1.
        let plans = [try Self.plan("registry-a.example/team/app:1", content: 1), try Self.plan("registry-b.example/team/app:1", content: 2)]
        #expect {
            try PushWorkflow.checkNoCollisions(plans)
        } throws: { error in
            guard case ImagesError.pushCollision(let target, let images) = error else { return false }
            return target == "mirror.internal:5000/hub/team/app:1"
                && images == ["registry-a.example/team/app:1", "registry-b.example/team/app:1"]
        }
    }

    @Test func theSameContentUnderOneNameOrContentsUnderTwoNamesGo() throws {
        try PushWorkflow.checkNoCollisions([
            try Self.plan("registry-a.example/team/app:1", content: 1), try Self.plan("registry-b.example/team/app:1", content: 1),
            try Self.plan("registry-a.example/team/app:2", content: 2), try Self.plan("registry-a.example/team/db:1", content: 3),
        ])
    }
}
