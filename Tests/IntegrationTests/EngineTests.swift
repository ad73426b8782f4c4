import Foundation
import ImagesKit
import Testing

/// `images load` against a real dockerd (Debian's docker.io, 20.10, classic image store).
@Suite(.needsTestServices) struct EngineTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    /// A project declaring an image that can run /bin/sh and that no other test shares (tests
    /// run in parallel against one daemon, and containers are matched by image ID), pulled.
    func pulledBusybox() async throws -> (Project, reference: String) {
        let repository = TestServices.uniqueRepository("engine")
        try services.pushRandomImage("\(repository)/busybox:1", bytes: 1000)
        let reference = "\(services.registry)/\(repository)/busybox:1"
        let project = try Project(images: [reference])
        _ = try await project.withWorkspace { try await $0.pull() }
        return (project, reference)
    }

    @Test(arguments: [LoadMethod.registry, .archive])
    func loadedImagesRunAndCarryTheDeclaredTagAndTheConfigDigestAsID(method: LoadMethod) async throws {
        let (project, reference) = try await pulledBusybox()
        let loaded = try await project.withWorkspace(environment: ["DOCKER_HOST": services.dockerHost]) {
            try await $0.load(method: method)
        }
        #expect(loaded.map(\.status) == [.loaded])
        let image = try #require(loaded.first)
        #expect(image.tag == reference)
        #expect(image.method == method)

        let inspect = try services.docker(["image", "inspect", reference]).stdout
        let json = try JSONSerialization.jsonObject(with: Data(inspect.utf8)) as! [[String: Any]]
        #expect(json.first?["Id"] as? String == image.imageID)
        // Only the declared name: the loopback name the daemon pulled it by is gone.
        #expect(json.first?["RepoTags"] as? [String] == [reference])
        #expect(json.first?["RepoDigests"] as? [String] == [])
        #expect(json.first?["Architecture"] as? String == "amd64")

        let run = try services.docker(["run", "--rm", "--network", "none", reference, "/bin/sh", "-c", "echo hello from $0"])
        #expect(run.stdout == "hello from /bin/sh\n")
    }

    @Test func aDaemonThatCannotReachOurLoopbackGetsTars() async throws {
        let (project, reference) = try await pulledBusybox()
        let environment = ["DOCKER_HOST": services.isolatedDockerHost]
        let refused = try images(["load", "--via", "registry"], in: project, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("error: Docker 20.10"), "the engine that answered, by name: \(refused.stderr)")
        #expect(refused.stderr.contains(" could not pull \(reference) from the cache on loopback: "))
        #expect(
            try services.docker(["image", "inspect", reference], host: services.isolatedDockerHost, check: false).status == 1)

        let result = try images(["load", "-v", "--json"], in: project, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Docker 20.10"), "\(result.stderr)")
        #expect(result.stderr.contains(" could not pull \(reference) from the cache on loopback"))
        let loaded = try JSONDecoder().decode([LoadedImage].self, from: Data(result.stdout.utf8))
        #expect(loaded.map(\.method) == [.archive])
        let id = try services.docker(["image", "inspect", "--format", "{{.Id}}", reference], host: services.isolatedDockerHost)
        #expect(id.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == loaded.first?.imageID)
    }

    @Test func anImageDeclaredByDigestOnlyGoesInATar() async throws {
        let (tagged, reference) = try await pulledBusybox()
        let lock = try String(contentsOfFile: tagged.directory + "/images.lock.json", encoding: .utf8)
        let digest = try #require(lock.firstMatch(of: /"digest" : "(sha256:[0-9a-f]{64})"/)?.1)
        let byDigest = "\(reference.dropLast(":1".count))@\(digest)"
        let project = try Project(images: [byDigest])
        _ = try await project.withWorkspace { try await $0.pull() }
        let loaded = try await project.withWorkspace(environment: ["DOCKER_HOST": services.dockerHost]) { try await $0.load() }
        #expect(loaded.map(\.method) == [.archive])
        #expect(loaded.first?.tag == nil)
        let image = try #require(loaded.first)
        #expect(try services.docker(["image", "inspect", image.imageID], check: false).status == 0)
    }

    @Test func loadingAgainSendsNothing() async throws {
        let (project, reference) = try await pulledBusybox()
        let environment = ["DOCKER_HOST": services.dockerHost]
        _ = try await project.withWorkspace(environment: environment) { try await $0.load() }
        let again = try await project.withWorkspace(environment: environment) { try await $0.load() }
        #expect(again.map(\.status) == [.present])
        #expect(again.first?.sentBytes == 0)
        let result = try images(["load"], in: project, environment: environment)
        #expect(result.status == 0)
        #expect(result.stderr.contains("present \(reference) linux/amd64"))
        #expect(result.stderr.contains("0 loaded, 1 already present, 0 B sent"))
    }

    @Test func theImageIDIsTheOneDockerPullGives() async throws {
        let (project, reference) = try await pulledBusybox()
        _ = try await project.withWorkspace(environment: ["DOCKER_HOST": services.dockerHost]) { try await $0.load() }
        let other = "\(services.registry)/\(TestServices.uniqueRepository("pulled"))/busybox:1"
        try services.copy(
            String(reference.dropFirst(services.registry.count + 1)), to: String(other.dropFirst(services.registry.count + 1)))
        try services.docker(["pull", "--quiet", other])
        let ours = try services.docker(["image", "inspect", "--format", "{{.Id}}", reference]).stdout
        let theirs = try services.docker(["image", "inspect", "--format", "{{.Id}}", other]).stdout
        #expect(ours == theirs)
        #expect(!ours.isEmpty)
    }

    @Test func pullWithLoadDoesBoth() throws {
        let repository = TestServices.uniqueRepository("engine")
        try services.pushRandomImage("\(repository)/busybox:1", bytes: 1000)
        let reference = "\(services.registry)/\(repository)/busybox:1"
        let project = try Project(images: [reference, "\(services.registry)/test/base:1"])
        let result = try images(["pull", "--load"], in: project, environment: ["DOCKER_HOST": services.dockerHost])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("2 images ready"))
        #expect(result.stderr.contains("loaded \(reference) linux/amd64"))
        #expect(try services.docker(["image", "inspect", reference], check: false).status == 0)
    }

    @Test func loadingWhatIsNotCachedSaysToPullFirst() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        #expect(try images(["lock"], in: project).status == 0)
        let result = try images(["load"], in: project, environment: ["DOCKER_HOST": services.dockerHost])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is not in the cache at \(project.cache) (run 'images pull')"))
    }

    @Test func anUnreachableDaemonIsNamed() async throws {
        let (project, _) = try await pulledBusybox()
        let result = try images(["load"], in: project, environment: ["DOCKER_HOST": "unix:///nonexistent/docker.sock"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: cannot reach the Docker daemon at unix:///nonexistent/docker.sock"))
    }
}

/// `images rm --engine` against containers that use the image.
extension EngineTests {
    /// Loads a fresh busybox copy and returns its project and tag.
    func loadedBusybox() async throws -> (Project, reference: String) {
        let (project, reference) = try await pulledBusybox()
        _ = try await project.withWorkspace(environment: ["DOCKER_HOST": services.dockerHost]) { try await $0.load() }
        return (project, reference)
    }

    @Test func anImageUsedByARunningOrStoppedContainerIsNotRemoved() async throws {
        let (project, reference) = try await loadedBusybox()
        let stopped = "stopped-\(UUID().uuidString.prefix(8))"
        let running = "running-\(UUID().uuidString.prefix(8))"
        try services.docker(["create", "--name", stopped, "--network", "none", reference, "/bin/sh"])
        try services.docker(["run", "-d", "--name", running, "--network", "none", reference, "/bin/sleep", "300"])
        defer { _ = try? services.docker(["rm", "-f", stopped, running]) }

        let environment = ["DOCKER_HOST": services.dockerHost]
        let refused = try images(["rm", "--engine", reference], in: project, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is used by containers"))
        #expect(refused.stderr.contains(stopped) && refused.stderr.contains(running))
        #expect(refused.stderr.contains("remove them first"))
        #expect(try services.docker(["image", "inspect", reference], check: false).status == 0)
        // All or nothing: the cache keeps what the daemon keeps.
        #expect(try images(["ls"], in: project).stdout.contains(reference), "the refusal removed it from the cache")

        try services.docker(["rm", "-f", stopped, running])
        let removed = try images(["rm", "--engine", reference], in: project, environment: environment)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("untagged \(reference) (Docker 20.10"), "\(removed)")
        #expect(try services.docker(["image", "inspect", reference], check: false).status != 0)
        #expect(!(try images(["ls"], in: project).stdout.contains(reference)))
    }

    @Test func containersAreMatchedByImageIDNotByTheNameTheyWereCreatedWith() async throws {
        let (project, first) = try await loadedBusybox()
        let second = first.replacingOccurrences(of: "/busybox:1", with: "/second:1")
        try services.docker(["tag", first, second])  // the same image ID under another name
        let container = "by-id-\(UUID().uuidString.prefix(8))"
        try services.docker(["create", "--name", container, "--network", "none", first, "/bin/sh"])
        defer { _ = try? services.docker(["rm", "-f", container]) }
        let refused = try images(["rm", "--engine", second], in: project, environment: ["DOCKER_HOST": services.dockerHost])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(second) is used by container \(container); remove it first"))
        #expect(try services.docker(["image", "inspect", second], check: false).status == 0)
    }

    @Test func removingSeveralGoesOnPastTheOneInUse() async throws {
        let (inUseProject, otherReference) = try await loadedBusybox()
        let (_, free) = try await loadedBusybox()
        let container = "keeps-\(UUID().uuidString.prefix(8))"
        try services.docker(["create", "--name", container, "--network", "none", otherReference, "/bin/sh"])
        defer { _ = try? services.docker(["rm", "-f", container]) }

        let result = try images(
            ["rm", "--engine", otherReference, free], in: inUseProject, environment: ["DOCKER_HOST": services.dockerHost])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(otherReference) is used by container \(container)"))
        #expect(result.stdout.contains("untagged \(free) (Docker 20.10"), "\(result)")
        #expect(try services.docker(["image", "inspect", free], check: false).status != 0)
        #expect(try services.docker(["image", "inspect", otherReference], check: false).status == 0)
    }
}

/// `images ls --engine` and `images inspect --engine`.
extension EngineTests {
    @Test func listingTellsPresentMissingAndStale() async throws {
        let repository = TestServices.uniqueRepository("engine")
        try services.pushRandomImage("\(repository)/moving:1", bytes: 1000)
        try services.pushRandomImage("\(repository)/loaded:1", bytes: 1000)
        try services.copy("test/base:1", to: "\(repository)/missing:1")
        let moving = "\(services.registry)/\(repository)/moving:1"
        let loaded = "\(services.registry)/\(repository)/loaded:1"
        let missing = "\(services.registry)/\(repository)/missing:1"
        let project = try Project(images: [moving, loaded, missing])
        let environment = ["DOCKER_HOST": services.dockerHost]
        _ = try await project.withWorkspace(environment: environment) { workspace in
            _ = try await workspace.pull()
            return try await workspace.load(filters: [moving, loaded])
        }
        try services.copy("test/app:1", to: "\(repository)/moving:1")  // the tag moves on; the daemon keeps the old one
        #expect(try images(["lock", "--update", moving], in: project).status == 0)
        #expect(try images(["pull"], in: project).status == 0)

        let table = try images(["ls", "--engine"], in: project, environment: environment)
        #expect(table.status == 0, "\(table.stderr)")
        let rows = table.stdout.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
        #expect(rows.first == ["IMAGE", "PLATFORM", "IMAGE", "ID", "STATUS", "SIZE"])
        #expect(rows.first { $0.first == moving }?[3] == "stale")
        #expect(rows.first { $0.first == loaded }?[3] == "present")
        #expect(rows.first { $0.first == missing }?[3] == "missing")

        let json = try images(["ls", "--engine", "--json"], in: project, environment: environment)
        let listings = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        let present = try #require(listings.first { $0["tag"] as? String == loaded })
        #expect(present["daemonID"] as? String == present["expectedID"] as? String)
        #expect((present["size"] as? Int ?? 0) > 1_000_000)
    }

    @Test func inspectShowsTheDaemonsViewWithHistory() async throws {
        let (project, reference) = try await loadedBusybox()
        let result = try images(
            ["inspect", "--engine", reference], in: project, environment: ["DOCKER_HOST": services.dockerHost])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let image = json["image"] as! [String: Any]
        #expect((image["RepoTags"] as? [String] ?? []).contains(reference))
        let history = json["history"] as! [[String: Any]]
        #expect(history.contains { ($0["CreatedBy"] as? String) == "umoci repack" })

        let absent = try images(
            ["inspect", "--engine", "\(services.registry)/never/loaded:1"], in: project,
            environment: ["DOCKER_HOST": services.dockerHost])
        #expect(absent.status == 1)
        #expect(absent.stderr.contains(" has no image \(services.registry)/never/loaded:1"))
        #expect(absent.stderr.contains("error: Docker 20.10"), "\(absent.stderr)")
    }
}

extension EngineTests {
    @Test func loadingInSeveralTarsAtOnceLoadsEveryImage() async throws {
        // base and app share their first layer, and go in different tars.
        let repository = TestServices.uniqueRepository("engine")
        try services.copy("test/base:1", to: "\(repository)/base:1")
        try services.copy("test/app:1", to: "\(repository)/app:1")
        try services.pushRandomImage("\(repository)/other:1", bytes: 1000)
        let references = ["base", "app", "other"].map { "\(services.registry)/\(repository)/\($0):1" }
        let project = try Project(images: references)
        #expect(try images(["pull"], in: project).status == 0)
        let result = try images(["load", "--jobs", "3"], in: project, environment: ["DOCKER_HOST": services.dockerHost])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("3 loaded, 0 already present"))
        for reference in references {
            #expect(try services.docker(["image", "inspect", reference], check: false).status == 0)
        }
    }
}

extension EngineTests {
    @Test func removingByShortImageIDWorksInTheCacheAndTheDaemon() async throws {
        let (project, reference) = try await loadedBusybox()
        let id = try services.docker(["image", "inspect", "--format", "{{.Id}}", reference]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let short = String(id.dropFirst("sha256:".count).prefix(12))
        let result = try images(["rm", "--engine", short], in: project, environment: ["DOCKER_HOST": services.dockerHost])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("removed \(reference) linux/amd64 from the cache"), "\(result)")
        #expect(result.stdout.contains("deleted \(id) (Docker 20.10"), "\(result)")
        #expect(try services.docker(["image", "inspect", reference], check: false).status != 0)
    }
}
