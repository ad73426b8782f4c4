import Foundation
import ImagesKit
import LayoutStore
import OCIModel
import Testing

/// The engine commands against Docker 26 with the containerd image store (the store Docker 29
/// uses by default), where an image's ID is the digest of what it was pulled or loaded as (its
/// manifest, or its index), not its config digest, and sizes are the content store's. One test
/// at a time: a prune reads the whole daemon, which the others change.
@Suite(.serialized, .needsTestServices) struct ContainerdStoreTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    var environment: [String: String] { ["DOCKER_HOST": services.docker26Host] }

    struct Listing: Decodable {
        var status: String
        var daemonID: String?
    }

    /// The lock's only entry.
    func locked(_ project: Project) throws -> LockedImage {
        try #require(try Lockfile.load(path: project.lockPath)?.images.first)
    }

    func listed(_ project: Project) throws -> [Listing] {
        let result = try images(["ls", "--engine", "--json"], in: project, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode([Listing].self, from: Data(result.stdout.utf8))
    }

    @Test(arguments: ["registry", "archive"])
    func loadedImagesArePresentByTheStoresIDs(method: String) throws {
        let (project, reference) = try services.pulledProject("containerd")
        let load = try images(["load", "--via", method], in: project, environment: environment)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stderr.contains("1 loaded"), "\(load.stderr)")
        let again = try images(["load"], in: project, environment: environment)
        #expect(again.stderr.contains("0 loaded, 1 already present"), "\(again.stderr)")

        // The store names the image by its manifest digest, which the lock pins.
        let manifestDigest = try locked(project).digest.description
        #expect(try listed(project).map(\.status) == ["present"])
        #expect(try listed(project).first?.daemonID == manifestDigest)
        let run = try services.docker(
            ["run", "--rm", "--network", "none", reference, "/bin/echo", "from the containerd store"], host: services.docker26Host)
        #expect(run.stdout.contains("from the containerd store"))
        let inspected = try images(["inspect", "--engine", reference], in: project, environment: environment)
        #expect(inspected.status == 0 && inspected.stdout.contains(manifestDigest), "\(inspected.stderr)")
        _ = try images(["rm", "--engine", reference], in: project, environment: environment)
    }

    /// An image declared by digest only has no tag to run it by: the name `Images.prepare` gives
    /// is the store's own ID for it (its manifest digest here; the config digest, the classic
    /// store's ID, names nothing in this store).
    @Test func anImageDeclaredByDigestOnlyRunsByTheNameItIsPreparedAs() async throws {
        let (tagged, reference) = try services.pulledProject("containerd")
        let manifestDigest = try locked(tagged).digest
        let byDigest = "\(reference.dropLast(":1".count))@\(manifestDigest)"
        let project = try Project(images: [byDigest])
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        let environment = ["HOME": project.directory, "DOCKER_HOST": services.docker26Host]

        let prepared = try await Images.prepare([byDigest], manifest: project.manifestPath, cache: project.cache, environment: environment)
        let name = try #require(prepared.first?.name)
        #expect(name == manifestDigest.description)
        let run = try services.docker(["run", "--rm", "--network", "none", name, "/bin/echo", "by its ID"], host: services.docker26Host)
        #expect(run.stdout == "by its ID\n")
        // Prepared again, it is found present under the same name.
        let again = try await Images.prepare([byDigest], manifest: project.manifestPath, cache: project.cache, environment: environment)
        #expect(again.map(\.name) == [name])
        try services.docker(["rmi", name], host: services.docker26Host)
    }

    @Test func anIndexTheDaemonPulledItselfIsPresent() throws {
        let repository = TestServices.uniqueRepository("containerd")
        try services.copy("test/multi:1", to: "\(repository)/multi:1")
        let reference = "\(services.registry)/\(repository)/multi:1"
        let project = try Project(images: [reference], platforms: ["linux/amd64"])
        #expect(try images(["pull"], in: project).status == 0)
        // `docker pull` by tag: the containerd store names the image by the index's digest.
        try services.docker(["pull", "--quiet", reference], host: services.docker26Host)
        let indexDigest = try locked(project).digest.description
        let listing = try listed(project)
        #expect(listing.map(\.status) == ["present"])
        #expect(listing.first?.daemonID == indexDigest)
        let load = try images(["load"], in: project, environment: environment)
        #expect(load.stderr.contains("0 loaded, 1 already present"), "\(load.stderr)")
        try services.docker(["rmi", reference], host: services.docker26Host)
    }

    @Test func removeAndPruneMatchImagesAndContainersByTheStoresIDs() throws {
        _ = try services.expectRemoveAndPruneKeepWhatIsDeclaredOrUsed(engine: services.docker26Host)
    }

    @Test func theStoresSizeIsTheContentItHolds() async throws {
        let (project, reference) = try services.pulledProject("containerd")
        #expect(try images(["load"], in: project, environment: environment).status == 0)
        let report = try await project.withWorkspace { try await $0.report() }
        let image = try #require(report.images.first)
        // The containerd store's Size counts the blobs it keeps, compressed: the layers, the
        // config and the manifest (the classic store's counts the unpacked layers).
        let inspect = try #require(try services.dockerAPI("/images/\(reference)/json", host: services.docker26Host) as? [String: Any])
        let bytes = try LayoutStore(root: project.cache).readBlob(image.digest)
        guard case .image(let manifest) = try ManifestDocument.decode(bytes, contentType: nil) else {
            Issue.record("the cached manifest is an index")
            return
        }
        #expect((inspect["Size"] as? NSNumber)?.int64Value == image.total.compressed + manifest.config.size + Int64(bytes.count))
        _ = try images(["rm", "--engine", reference], in: project, environment: environment)
    }
}
