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

    /// A project declaring a runnable image of its own (busybox and random bytes), pulled.
    func pulledProject() throws -> (Project, reference: String) {
        let repository = TestServices.uniqueRepository("podman")
        try services.pushRandomImage("\(repository)/app:1", bytes: 1000)
        let reference = "\(services.registry)/\(repository)/app:1"
        let project = try Project(images: [reference])
        let pull = try images(["pull"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        return (project, reference)
    }

    @Test func loadTakesTheFastPathAndListsRemovesByPodmansNames() throws {
        let (project, reference) = try pulledProject()
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
        let (project, reference) = try pulledProject()
        let (other, undeclared) = try pulledProject()
        for loaded in [project, other] {
            #expect(try images(["load"], in: loaded, environment: environment).status == 0)
        }
        let container = "podman-\(UUID().uuidString.prefix(8))"
        try services.docker(["create", "--name", container, "--network", "none", reference, "/bin/sh"], host: services.podmanHost)
        defer { _ = try? services.docker(["rm", "-f", container], host: services.podmanHost, check: false) }

        let refused = try images(["rm", "--engine", reference], in: project, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(reference) is used by container \(container)"), "\(refused.stderr)")
        #expect(try images(["ls"], in: project).stdout.contains(reference))

        let prune = try images(["prune", "--engine", "--dry-run", "--grace", "0"], in: project, environment: environment)
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stderr.contains("kept \(reference): declared"), "\(prune.stderr)")
        #expect(prune.stderr.contains("would remove \(undeclared)"), "\(prune.stderr)")
        #expect(prune.stderr.contains("from the engine (Podman 4."), "\(prune.stderr)")

        try services.docker(["rm", "-f", container], host: services.podmanHost)
        #expect(try images(["rm", "--engine", reference], in: project, environment: environment).status == 0)
        _ = try images(["rm", "--engine", undeclared], in: other, environment: environment)
    }
}
