import Foundation
import ImagesKit
import LayoutStore
import OCIModel
import Testing

/// The cache as other tools see it, and as it survives crashes and concurrent runs.
@Suite(.needsTestServices) struct CacheTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    @Test func skopeoAndUmociReadTheCache() async throws {
        let project = try Project(images: [
            "\(services.registry)/test/base:1",
            #"{"ref": "\#(services.registry)/test/multi:1", "platforms": ["linux/arm64"]}"#,
        ])
        _ = try await project.withWorkspace {
            try await $0.pull()
        }
        let lock = try #require(try Lockfile.load(path: project.lockPath))
        for entry in lock.images {
            let inspected = try run("skopeo", ["inspect", "oci:\(project.cache):\(entry.canonical)"])
            let json = try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as! [String: Any]
            #expect(json["Digest"] as? String == entry.platforms.values.first?.description)
            let copy = project.directory + "/copy-\(UUID().uuidString)"
            try run("skopeo", ["copy", "--quiet", "oci:\(project.cache):\(entry.canonical)", "dir:\(copy)"])
            #expect(FileManager.default.fileExists(atPath: copy + "/manifest.json"))
        }
        let listed = try run("umoci", ["ls", "--layout", project.cache]).stdout
        #expect(listed.split(separator: "\n").sorted() == lock.images.map { Substring($0.canonical) }.sorted())
    }

    @Test func rePullingReplacesEntriesInsteadOfAppending() async throws {
        let repository = TestServices.uniqueRepository()
        try services.copy("test/base:1", to: "\(repository)/app:1")
        let project = try Project(images: ["\(services.registry)/\(repository)/app:1"])
        _ = try await project.withWorkspace {
            try await $0.pull()
        }
        try services.copy("test/app:1", to: "\(repository)/app:1")
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        _ = try await project.withWorkspace {
            try await $0.pull(locked: true)
        }
        let entries = try LayoutStore(root: project.cache).index().manifests
        #expect(entries.count == 1)
        #expect(entries.first?.digest == (try Lockfile.load(path: project.lockPath))?.images.first?.digest)
    }

    @Test func killingAPullMidBlobLeavesNoWrongBlobAndTheNextRunFinishes() async throws {
        let repository = TestServices.uniqueRepository()
        try services.pushRandomImage("\(repository)/big:1", bytes: 12_000_000)
        // Through the slow front: the layer takes about 3 s, so the kill lands mid-blob.
        let project = try Project(images: ["\(services.slowRegistry)/\(repository)/big:1"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try imagesBinary())
        process.arguments = ["pull", "--manifest", project.manifestPath, "--cache", project.cache, "--jobs", "1", "--quiet"]
        process.environment = ["HOME": project.directory, "PATH": "/usr/bin:/bin"]
        try process.run()
        // Wait until a partial blob is on its way, then kill -9. Waiting lasts as long as the pull
        // does (a loaded machine may take a while to start the download), within two minutes.
        let ingest = project.cache + "/.swift-images/ingest"
        let deadline = ContinuousClock.now + .seconds(120)
        var sawPartial = false
        while !sawPartial, process.isRunning, ContinuousClock.now < deadline {
            let partials = (try? FileManager.default.contentsOfDirectory(atPath: ingest)) ?? []
            sawPartial = partials.contains { name in
                let attributes = try? FileManager.default.attributesOfItem(atPath: ingest + "/" + name)
                return (attributes?[.size] as? Int ?? 0) > 1_000_000
            }
            // Polls without giving the thread up: other tests block the few threads of the
            // concurrency pool while their processes run, and a suspended poll could wake after
            // the pull has ended.
            if !sawPartial { usleep(10_000) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(sawPartial, "the pull finished before it could be killed")

        let store = try LayoutStore(root: project.cache)
        #expect(try store.index().manifests.isEmpty)  // still valid JSON, and nothing recorded
        let blobs = try FileManager.default.contentsOfDirectory(atPath: project.cache + "/blobs/sha256")
        for name in blobs {
            _ = try store.readBlob(try OCIModel.Digest.sha256(hex: name).self)  // every stored blob verifies
        }

        let result = try images(["pull", "--locked"], in: project)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try store.index().manifests.count == 1)
        #expect(try project.strayFiles().isEmpty)  // the killed run's partial file was swept
    }

    @Test func twoProcessesPullingIntoOneCacheBothSucceed() async throws {
        let repository = TestServices.uniqueRepository()
        try services.pushRandomImage("\(repository)/one:1", bytes: 3_000_000)
        try services.pushRandomImage("\(repository)/two:1", bytes: 3_000_000)
        let first = try Project(images: [
            "\(services.registry)/\(repository)/one:1", "\(services.registry)/test/base:1", "\(services.registry)/test/app:1",
        ])
        let second = try Project(images: [
            "\(services.registry)/\(repository)/two:1", "\(services.registry)/test/base:1", "\(services.registry)/test/app:1",
        ])
        let cache = first.cache
        async let a = Task.detached { try images(["pull", "--cache", cache], in: first) }.value
        async let b = Task.detached { try images(["pull", "--cache", cache], in: second) }.value
        let (resultA, resultB) = try await (a, b)
        #expect(resultA.status == 0, "\(resultA.stderr)")
        #expect(resultB.status == 0, "\(resultB.stderr)")
        let entries = try LayoutStore(root: cache).index().manifests
        let names = entries.compactMap { $0.annotations?[LayoutStore.refNameAnnotation] }.sorted()
        #expect(
            names
                == [
                    "\(services.registry)/\(repository)/one:1", "\(services.registry)/\(repository)/two:1",
                    "\(services.registry)/test/app:1", "\(services.registry)/test/base:1",
                ].sorted())
        #expect(try first.strayFiles().isEmpty)
    }
}

extension CacheTests {
    @Test func removingAnImageFreesOnlyTheBlobsNoOtherImageNeeds() async throws {
        let base = "\(services.registry)/test/base:1"
        let app = "\(services.registry)/test/app:1"
        let project = try Project(images: [base, app])
        let results = try await project.withWorkspace { try await $0.pull().images }
        let store = try LayoutStore(root: project.cache)
        func blobs(of digest: OCIModel.Digest) throws -> [OCIModel.Digest] {
            guard case .image(let manifest) = try ManifestDocument.decode(store.readBlob(digest), contentType: nil) else {
                return []
            }
            return [digest] + manifest.blobs.map(\.digest)
        }
        let baseBlobs = try blobs(of: results[0].digest)
        let appBlobs = try blobs(of: results[1].digest)

        let result = try images(["rm", app], in: project)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("removed \(app) linux/amd64 from the cache"))
        #expect(result.stdout.contains("freed 4 blobs"))  // app's manifest, config and two own layers
        for digest in baseBlobs { _ = try store.readBlob(digest) }  // the shared layer stays
        for digest in appBlobs where !baseBlobs.contains(digest) { #expect(!store.hasBlob(digest)) }
        #expect(try store.index().manifests.count == 1)

        // By image ID (the config digest), as docker image rm takes it.
        guard case .image(let manifest) = try ManifestDocument.decode(store.readBlob(results[0].digest), contentType: nil) else {
            return
        }
        let byID = try images(["rm", String(manifest.config.digest.encoded.prefix(12))], in: project)
        #expect(byID.status == 0, "\(byID.stderr)")
        #expect(try store.index().manifests.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.cache + "/blobs/sha256").isEmpty)

        let missing = try images(["rm", app], in: project)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("error: no image \(app) in the cache at \(project.cache)"))
    }
}

extension CacheTests {
    @Test func garbageCollectionKeepsTheIndexesCachedImagesCameFrom() async throws {
        let multi = #"{"ref": "\#(services.registry)/test/multi:1", "platforms": ["linux/amd64", "linux/arm64"]}"#
        let base = "\(services.registry)/test/base:1"
        let project = try Project(images: [multi, base])
        _ = try await project.withWorkspace { try await $0.pull() }
        #expect(try images(["rm", base], in: project).status == 0)
        try project.write(images: [multi])
        let offline = try images(["pull", "--locked", "--offline"], in: project)
        #expect(offline.status == 0, "\(offline.stderr)")
        #expect(offline.stderr.contains("1 image ready (2 with their platforms), 0 pulled"), "\(offline.stderr)")
    }
}
