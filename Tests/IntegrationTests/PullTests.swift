import Foundation
import ImagesKit
import LayoutStore
import OCIModel
import Testing

/// `images pull` and `images lock` against a real registry (distribution 2.8) with fixtures
/// made by umoci and pushed by skopeo.
@Suite(.needsTestServices) struct PullTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    var fixtures: [String] {
        [
            "\(services.registry)/test/base:1", "\(services.registry)/test/app:1",
            #"{"ref": "\#(services.registry)/test/multi:1", "platforms": ["linux/amd64", "linux/arm64"]}"#,
        ]
    }

    @Test func pullStoresEveryDeclaredImageVerifiedAndWritesTheLock() async throws {
        let project = try Project(images: fixtures, platforms: ["linux/amd64"])
        let pulled = try await project.withWorkspace {
            try await $0.pull()
        }
        let (changes, results) = (pulled.changes, pulled.images)
        #expect(changes.map(\.kind) == [.added, .added, .added])
        #expect(results.map(\.platform) == ["linux/amd64", "linux/amd64", "linux/amd64", "linux/arm64"])
        #expect(results.allSatisfy { $0.status == .pulled })

        let lock = try #require(try Lockfile.load(path: project.lockPath))
        #expect(
            lock.images.map(\.ref) == [
                "\(services.registry)/test/app:1", "\(services.registry)/test/base:1", "\(services.registry)/test/multi:1",
            ])
        let multi = try #require(lock.images.first { $0.ref.hasSuffix("multi:1") })
        #expect(multi.mediaType == MediaType.ociIndex)
        #expect(Set(multi.platforms.keys) == ["linux/amd64", "linux/arm64"])

        // index.json: one entry per image and platform, each pointing at verified blobs.
        let store = try LayoutStore(root: project.cache)
        let entries = try store.index().manifests
        #expect(entries.count == 4)
        for entry in entries {
            let bytes = try store.readBlob(entry.digest)
            guard case .image(let manifest) = try ManifestDocument.decode(bytes, contentType: nil) else {
                Issue.record("entry \(entry.digest) is not an image manifest")
                continue
            }
            for blob in manifest.blobs {
                let data = try #require(FileManager.default.contents(atPath: store.blobPath(blob.digest)))
                #expect(Int64(data.count) == blob.size)
                #expect(SHA256.digest(of: data) == blob.digest)
            }
        }
        // The index blob of the multi-platform image is kept too.
        #expect(store.hasBlob(multi.digest))
        #expect(try project.strayFiles().isEmpty)
    }

    @Test func warmPullWithTheLockMakesNoRequest() async throws {
        let project = try Project(images: fixtures)
        _ = try await project.withWorkspace {
            try await $0.pull()
        }
        let lockBefore = try project.lockText()
        let (requests, results) = try await project.withWorkspace { workspace in
            let results = try await workspace.pull(locked: true).images
            return (workspace.registry.requestCount, results)
        }
        #expect(requests == 0)
        #expect(results.allSatisfy { $0.status == .cached && $0.fetchedBytes == 0 })
        #expect(try project.lockText() == lockBefore)
        // Without --locked too: the lock pins everything, so nothing is asked.
        let unlockedRequests = try await project.withWorkspace { workspace in
            _ = try await workspace.pull()
            return workspace.registry.requestCount
        }
        #expect(unlockedRequests == 0)
    }

    @Test func aBlobSharedByTwoImagesIsFetchedOnce() async throws {
        let project = try Project(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        let results = try await project.withWorkspace {
            try await $0.pull().images
        }
        let store = try LayoutStore(root: project.cache)
        var unique: [OCIModel.Digest: Int64] = [:]
        for result in results {
            guard case .image(let manifest) = try ManifestDocument.decode(store.readBlob(result.digest), contentType: nil) else {
                continue
            }
            for blob in manifest.layers { unique[blob.digest] = blob.size }
        }
        let layerBytes = unique.values.reduce(0, +)
        let fetched = results.reduce(0) { $0 + $1.fetchedBytes }
        // Configs are fetched while locking (to check the platform), so fetched counts layers once each.
        #expect(fetched == layerBytes)
        #expect(unique.count == 3)  // base's layer, and app's two on top of it
    }

    @Test func offlinePullNamesWhatIsMissingAndWorksOnceCached() async throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        await #expect {
            try await project.withWorkspace {
                try await $0.pull(locked: true, offline: true)
            }
        } throws: { error in
            let text = String(describing: error)
            return text.contains("offline") && text.contains("\(services.registry)/test/base:1")
        }
        _ = try await project.withWorkspace {
            try await $0.pull(locked: true)
        }
        let requests = try await project.withWorkspace { workspace in
            _ = try await workspace.pull(locked: true, offline: true)
            return workspace.registry.requestCount
        }
        #expect(requests == 0)
    }

    @Test func lockedPullRefusesAMissingOrOutdatedLock() async throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        await #expect {
            try await project.withWorkspace {
                try await $0.pull(locked: true)
            }
        } throws: { error in
            guard case ImagesError.lockMissing(let path) = error else { return false }
            return path == project.lockPath && String(describing: error) == "\(project.lockPath) does not exist"
        }
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        try project.write(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        let lockBefore = try project.lockText()
        await #expect {
            try await project.withWorkspace {
                try await $0.pull(locked: true)
            }
        } throws: { error in
            let text = String(describing: error)
            return text.contains("does not match the manifest") && text.contains("test/app:1")
        }
        #expect(try project.lockText() == lockBefore)
    }

    /// A project declaring two new tags of one repository, both copies of test/base:1, locked.
    func lockedProjectOfTwoTags() async throws -> (repository: String, one: String, two: String, project: Project) {
        let repository = TestServices.uniqueRepository()
        try services.copy("test/base:1", to: "\(repository)/one:1")
        try services.copy("test/base:1", to: "\(repository)/two:1")
        let one = "\(services.registry)/\(repository)/one:1"
        let two = "\(services.registry)/\(repository)/two:1"
        let project = try Project(images: [one, two])
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        return (repository, one, two, project)
    }

    @Test func lockRewritesOnlyTheTagsThatMovedAndSaysSo() async throws {
        let (repository, one, two, project) = try await lockedProjectOfTwoTags()
        let before = try #require(try Lockfile.load(path: project.lockPath))

        try services.copy("test/app:1", to: "\(repository)/two:1")  // the tag moves
        let changes = try await project.withWorkspace { try await $0.lock(update: []) }
        let after = try #require(try Lockfile.load(path: project.lockPath))
        #expect(changes.first { $0.ref == one }?.kind == .unchanged)
        let moved = try #require(changes.first { $0.ref == two })
        #expect(moved.kind == .moved)
        #expect(moved.oldDigest == before.images.first { $0.ref == two }?.digest)
        #expect(moved.newDigest == after.images.first { $0.ref == two }?.digest)
        #expect(moved.oldDigest != moved.newDigest)
        #expect(after.images.first { $0.ref == one } == before.images.first { $0.ref == one })
    }

    @Test func lockUpdateResolvesOnlyTheNamedImages() async throws {
        let (repository, one, two, project) = try await lockedProjectOfTwoTags()
        try services.copy("test/app:1", to: "\(repository)/one:1")
        try services.copy("test/app:1", to: "\(repository)/two:1")

        let changes = try await project.withWorkspace { try await $0.lock(update: [two]) }
        #expect(changes.first { $0.ref == two }?.kind == .moved)
        #expect(changes.first { $0.ref == one }?.kind == .unchanged)

        // And pull, which only resolves what the lock lacks, leaves the moved tag pinned.
        let pullChanges = try await project.withWorkspace {
            try await $0.pull().changes
        }
        #expect(pullChanges.allSatisfy { $0.kind == .unchanged })
    }

    @Test func pinnedDigestReferencesNeedNoTag() async throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        let digest = try #require(try Lockfile.load(path: project.lockPath)?.images.first?.digest)
        let pinned = try Project(images: ["\(services.registry)/test/base@\(digest)"])
        let results = try await pinned.withWorkspace {
            try await $0.pull().images
        }
        #expect(results.map(\.digest) == [digest])
        #expect(try Lockfile.load(path: pinned.lockPath)?.images.first?.canonical == "\(services.registry)/test/base@\(digest)")
    }

    @Test func multiPlatformImagesResolveEachPlatformAndSkipAttestations() async throws {
        let project = try Project(images: ["\(services.registry)/test/multi:1"], platforms: ["linux/arm64/v8"])
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        let entry = try #require(try Lockfile.load(path: project.lockPath)?.images.first)
        let store = try LayoutStore(root: project.cache)
        guard case .index(let index) = try ManifestDocument.decode(store.readBlob(entry.digest), contentType: nil) else {
            Issue.record("the locked digest is not an index")
            return
        }
        #expect(entry.platforms["linux/arm64/v8"] == index.manifests.first { $0.platform?.architecture == "arm64" }?.digest)

        let unavailable = try Project(images: ["\(services.registry)/test/multi:1"], platforms: ["linux/s390x"])
        await #expect {
            try await unavailable.withWorkspace { try await $0.lock(update: []) }
        } throws: { error in
            let text = String(describing: error)
            return text.contains("has no image for linux/s390x") && text.contains("linux/amd64, linux/arm64/v8")
                && !text.contains("unknown")
        }
        #expect(!FileManager.default.fileExists(atPath: unavailable.lockPath))
    }

    @Test func aSinglePlatformImageOfAnotherArchitectureIsRefused() async throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"], platforms: ["linux/arm64"])
        await #expect {
            try await project.withWorkspace { try await $0.lock(update: []) }
        } throws: { error in
            String(describing: error).contains("has no image for linux/arm64; it offers linux/amd64")
        }
    }
}
