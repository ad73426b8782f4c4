import Foundation
import ImagesKit
import Testing

/// `images load` against a real dockerd (Debian's docker.io, 20.10, classic image store).
@Suite struct EngineTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    /// A project declaring a fresh copy of the busybox fixture, pulled into its cache.
    func pulledBusybox() async throws -> (Project, reference: String) {
        let repository = TestServices.uniqueRepository("engine")
        try services.copy("test/busybox:1", to: "\(repository)/busybox:1")
        let reference = "\(services.registry)/\(repository)/busybox:1"
        let project = try Project(images: [reference])
        _ = try await project.withWorkspace { try await $0.pull() }
        return (project, reference)
    }

    @Test func loadedImagesRunAndCarryTheDeclaredTagAndTheConfigDigestAsID() async throws {
        let (project, reference) = try await pulledBusybox()
        let loaded = try await project.withWorkspace(environment: ["DOCKER_HOST": services.dockerHost]) { try await $0.load() }
        #expect(loaded.map(\.status) == [.loaded])
        let image = try #require(loaded.first)
        #expect(image.tag == reference)

        let inspect = try services.docker(["image", "inspect", reference]).stdout
        let json = try JSONSerialization.jsonObject(with: Data(inspect.utf8)) as! [[String: Any]]
        #expect(json.first?["Id"] as? String == image.imageID)
        #expect((json.first?["RepoTags"] as? [String] ?? []).contains(reference))
        #expect(json.first?["Architecture"] as? String == "amd64")

        let run = try services.docker(["run", "--rm", "--network", "none", reference, "/bin/sh", "-c", "echo hello from $0"])
        #expect(run.stdout == "hello from /bin/sh\n")
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
        try services.copy("test/busybox:1", to: String(other.dropFirst(services.registry.count + 1)))
        try services.docker(["pull", "--quiet", other])
        let ours = try services.docker(["image", "inspect", "--format", "{{.Id}}", reference]).stdout
        let theirs = try services.docker(["image", "inspect", "--format", "{{.Id}}", other]).stdout
        #expect(ours == theirs)
        #expect(!ours.isEmpty)
    }

    @Test func pullWithLoadDoesBoth() throws {
        let repository = TestServices.uniqueRepository("engine")
        try services.copy("test/busybox:1", to: "\(repository)/busybox:1")
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
