import Foundation
import ImagesKit
import Testing

/// The engine commands against Podman's Docker-compatible API (Podman 4.3): the fast path
/// through Podman's own pull (its compatible one insists on HTTPS from the loopback cache),
/// names as Podman lists them (`docker.io/library/…`), and words that say Podman. One test at a
/// time: a prune reads the whole engine, which the others change.
@Suite(.serialized) struct PodmanTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    var environment: [String: String] { ["DOCKER_HOST": services.podmanHost] }

    @Test func loadTakesTheFastPathAndListsRemovesByPodmansNames() throws {
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

        let removed = try images(["rm", "--engine", reference], in: project, environment: environment)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stderr.contains("(Podman 4."), "the lines name the engine that answered: \(removed.stderr)")
    }

    @Test func removeAndPruneKeepWhatIsDeclaredOrUsed() throws {
        let prune = try services.expectRemoveAndPruneKeepWhatIsDeclaredOrUsed(engine: services.podmanHost)
        #expect(prune.stderr.contains("from the engine (Podman 4."), "\(prune.stderr)")
    }
}
