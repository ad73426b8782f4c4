import Foundation
import ImagesKit
import Testing

/// The engine commands against Podman's Docker-compatible API (Podman 4.3): the fast path
/// through Podman's own pull (its compatible one insists on HTTPS from the loopback cache),
/// names as Podman lists them (`docker.io/library/…`), and words that say Podman. One test at a
/// time: a prune reads the whole engine, which the others change.
@Suite(.serialized, .needsTestServices) struct PodmanTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    var environment: [String: String] { ["DOCKER_HOST": services.podmanHost] }

    @Test func loadTakesTheFastPathAndListsInspectsMeasuresAndRemovesByPodmansNames() throws {
        let (project, reference) = try services.pulledProject("podman")
        let load = try images(["load", "--json"], in: project, environment: environment)
        #expect(load.status == 0, "\(load.stderr)")
        let loaded = try JSONDecoder().decode([LoadedImage].self, from: Data(load.stdout.utf8))
        #expect(loaded.map(\.method) == [.registry], "Podman pulled it from the cache on loopback, no tar")
        let again = try images(["load"], in: project, environment: environment)
        #expect(again.stderr.contains("0 loaded, 1 already present"), "\(again.stderr)")

        let listed = try images(["ls", "--engine", "--json"], in: project, environment: environment)
        #expect(listed.stdout.contains(#""status" : "present""#), "\(listed.stdout)")
        // (Containers are created, not started: crun cannot raise RLIMIT_NPROC in this sandbox.)
        // The temporary loopback name is gone: only the declared tag is left.
        let names = try #require(try services.dockerAPI("/images/\(reference)/json", host: services.podmanHost) as? [String: Any])
        #expect(names["RepoTags"] as? [String] == [reference])
        let inspected = try images(["inspect", "--engine", reference], in: project, environment: environment)
        #expect(inspected.status == 0 && inspected.stdout.contains(#""history""#), "\(inspected.stderr)")

        // Podman counts the layers' tar streams: each layer's history size is its tar size, and
        // the image's Size adds Podman's own records of the image (its manifest and config as it
        // stores them: about a kilobyte here).
        let report = try images(["report", "--json"], in: project)
        struct Document: Decodable { var report: SizeReport }
        let image = try #require(try JSONDecoder().decode(Document.self, from: Data(report.stdout.utf8)).report.images.first)
        let history = try #require(try services.dockerAPI("/images/\(reference)/history", host: services.podmanHost) as? [[String: Any]])
        let sizes = history.reversed().compactMap { ($0["Size"] as? NSNumber)?.int64Value }.filter { $0 > 0 }
        #expect(sizes == image.layers.compactMap(\.tar))
        let size = try #require((names["Size"] as? NSNumber)?.int64Value)
        #expect((1...16_384).contains(size - (image.total.tar ?? 0)), "Size \(size), tar \(image.total.tar ?? 0)")

        let removed = try images(["rm", "--engine", reference], in: project, environment: environment)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("(Podman 4."), "the lines name the engine that answered: \(removed)")
    }

    @Test func aShortDockerHubNameMatchesWhatPodmanListsFullyQualified() throws {
        // `name-…:1` is docker.io/library/name-…:1, served here by a mirror of ours.
        let name = "short-\(UUID().uuidString.lowercased().prefix(8))"
        let mirror = "\(services.registry)/hub-\(UUID().uuidString.lowercased().prefix(8))"
        try services.pushRandomImage("\(mirror.dropFirst(services.registry.count + 1))/library/\(name):1", bytes: 1000)
        let project = try Project(images: ["\(name):1"], extra: #""registries": {"docker.io": {"mirrors": ["\#(mirror)"]}},"#)
        #expect(try images(["pull"], in: project).status == 0)
        let load = try images(["load"], in: project, environment: environment)
        #expect(load.status == 0, "\(load.stderr)")
        let listedByPodman = try #require(try services.dockerAPI("/images/json", host: services.podmanHost) as? [[String: Any]])
        #expect(listedByPodman.contains { ($0["RepoTags"] as? [String])?.contains("docker.io/library/\(name):1") == true })

        let listed = try images(["ls", "--engine", "--json"], in: project, environment: environment)
        #expect(listed.stdout.contains(#""status" : "present""#), "\(listed.stdout)")
        let again = try images(["load"], in: project, environment: environment)
        #expect(again.stderr.contains("0 loaded, 1 already present"), "\(again.stderr)")
        let removed = try images(["rm", "--engine", "\(name):1"], in: project, environment: environment)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try services.docker(["image", "inspect", "docker.io/library/\(name):1"], host: services.podmanHost, check: false).status != 0)
    }

    @Test func removeAndPruneKeepWhatIsDeclaredOrUsed() throws {
        let prune = try services.expectRemoveAndPruneKeepWhatIsDeclaredOrUsed(engine: services.podmanHost)
        #expect(prune.stdout.contains("from the engine (Podman 4."), "\(prune)")
    }
}
