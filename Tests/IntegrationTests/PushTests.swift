import Foundation
import ImagesKit
import Testing

/// `images push --to`: one machine seeds a shared registry from its cache, another pulls from
/// that registry as a mirror while the upstream is gone. Registries of the tests' own
/// (scripts/registry.sh), so that one can be stopped.
@Suite(.needsTestServices) struct PushTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    struct Pushed: Decodable { var images: [PushedImage] }

    func push(_ arguments: [String], in project: Project) throws -> (CommandResult, [PushedImage]) {
        let result = try images(["push", "--json"] + arguments, in: project)
        let pushed = result.status == 0 ? try JSONDecoder().decode(Pushed.self, from: Data(result.stdout.utf8)).images : []
        return (result, pushed)
    }

    /// The digest the registry serves for a tag (`Docker-Content-Digest` of a `HEAD`).
    func servedDigest(_ registry: String, _ repository: String, _ tag: String) throws -> String {
        let accept = [
            "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        ].joined(separator: ", ")
        let headers = try run(
            "curl", ["-sfI", "-H", "Accept: \(accept)", "http://\(registry)/v2/\(repository)/manifests/\(tag)"], check: false
        )
        .stdout
        let line = headers.split(whereSeparator: \.isNewline).first { $0.lowercased().hasPrefix("docker-content-digest:") }
        return line.map { $0.split(separator: " ").last.map(String.init) ?? "" }?.trimmingCharacters(in: .whitespaces) ?? ""
    }

    @Test func aSecondMachinePullsWhatTheFirstPushedWithTheUpstreamGone() throws {
        let upstream = try TestRegistry(scripts: services.scripts)
        let shared = try TestRegistry(scripts: services.scripts)
        for image in ["base", "app", "multi"] {
            try run(
                "skopeo",
                [
                    "copy", "--quiet", "--all", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "docker://\(services.registry)/test/\(image):1", "docker://\(upstream.address)/test/\(image):1",
                ])
        }
        // multi is an index (amd64, arm64, an attestation), of which machine A wants amd64 only.
        let declared =
            ["base", "app"].map { "\(upstream.address)/test/\($0):1" }
            + [#"{"ref": "\#(upstream.address)/test/multi:1", "platforms": ["linux/amd64"]}"#]
        let machineA = try Project(images: declared)
        let pullA = try images(["pull"], in: machineA)
        #expect(pullA.status == 0, "\(pullA.stderr)")

        let (first, pushed) = try push(["--to", "\(shared.address)/fleet"], in: machineA)
        #expect(first.status == 0, "\(first.stderr)")
        try #require(pushed.count == 3)
        #expect(pushed[0].uploaded == pushed[0].blobs && pushed[0].mounted == 0)
        // app's first layer is base's: mounted from fleet/test/base, not sent again.
        #expect(pushed[1].mounted == 1, "\(pushed[1])")
        // The index goes whole: its arm64 image and attestation came from the upstream first.
        #expect(pushed[2].manifests == 4 && pushed[2].completedFromSource > 0, "\(pushed[2])")
        let lock = try JSONSerialization.jsonObject(with: Data(machineA.lockText().utf8)) as! [String: Any]
        var locked: [String: String] = [:]
        for entry in lock["images"] as! [[String: Any]] { locked[entry["ref"] as! String] = entry["digest"] as? String }
        for image in ["base", "app", "multi"] {
            let digest = try #require(locked["\(upstream.address)/test/\(image):1"])
            #expect(try servedDigest(shared.address, "fleet/test/\(image)", "1") == digest, "\(image)")
        }

        // Pushing again sends nothing: blobs are there, tags name the same digests.
        let (again, pushedAgain) = try push(["--to", "\(shared.address)/fleet"], in: machineA)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            pushedAgain.allSatisfy { $0.uploaded == 0 && $0.mounted == 0 && $0.present == $0.blobs && $0.manifests == 0 },
            "\(pushedAgain)")
        // It asks one question per image, the tag's digest, counted by a proxy in front.
        let counter = try TestProxy(["count", shared.address], scripts: services.scripts)
        let (counted, pushedCounted) = try push(["--to", "\(counter.address)/fleet"], in: machineA)
        #expect(counted.status == 0, "\(counted.stderr)")
        #expect(pushedCounted.allSatisfy { $0.manifests == 0 && $0.present == $0.blobs })
        #expect(try counter.requests() == 3)

        // While the upstream is there, a machine whose mirror is down pulls from it.
        let down = try TestRegistry(scripts: services.scripts)
        down.stop()
        let machineC = try Project(
            images: declared, extra: #""registries": {"\#(upstream.address)": {"mirrors": ["\#(down.address)/fleet"]}},"#)
        try FileManager.default.copyItem(atPath: machineA.lockPath, toPath: machineC.lockPath)
        let pullC = try images(["pull", "--locked"], in: machineC)
        #expect(pullC.status == 0, "\(pullC.stderr)")
        #expect(pullC.stderr.contains("mirror \(down.address)/fleet could not serve"), "\(pullC.stderr)")

        // The upstream goes away; machine B, with A's lock, names the shared registry its mirror.
        upstream.stop()
        #expect(try run("curl", ["-s", "http://\(upstream.address)/v2/"], check: false).status != 0)
        let machineB = try Project(
            images: declared, extra: #""registries": {"\#(upstream.address)": {"mirrors": ["\#(shared.address)/fleet"]}},"#)
        try FileManager.default.copyItem(atPath: machineA.lockPath, toPath: machineB.lockPath)
        let pullB = try images(["pull", "--locked", "-v"], in: machineB)
        #expect(pullB.status == 0, "\(pullB.stderr)")
        #expect(pullB.stderr.contains("\(upstream.address)/test/multi:1: served by mirror \(shared.address)/fleet"))
        #expect(try images(["ls", "--json"], in: machineB).stdout == (try images(["ls", "--json"], in: machineA).stdout))
        #expect(try images(["verify"], in: machineB).status == 0)
        #expect(try machineB.lockText() == (try machineA.lockText()))
    }

    @Test func aLaterPushMountsWhatAnEarlierOnePutInAnotherRepository() throws {
        let shared = try TestRegistry(scripts: services.scripts)
        let base = "\(services.registry)/test/base:1"
        let app = "\(services.registry)/test/app:1"
        let project = try Project(images: [base, app])
        #expect(try images(["pull"], in: project).status == 0)
        let (first, _) = try push(["--to", "\(shared.address)/one", base], in: project)
        #expect(first.status == 0, "\(first.stderr)")
        // Another run, another prefix: app's first layer is base's, which the cache remembers
        // having put in one/test/base.
        let (second, pushed) = try push(["--to", "\(shared.address)/two", app], in: project)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(pushed.first?.mounted == 1 && pushed.first?.uploaded == 3, "\(pushed)")
        // A location that no longer holds the blob: the registry does not mount, and it is sent.
        try FileManager.default.removeItem(atPath: shared.directory + "/storage/docker/registry/v2/repositories/two")
        try FileManager.default.removeItem(atPath: shared.directory + "/storage/docker/registry/v2/repositories/one")
        try FileManager.default.removeItem(atPath: shared.directory + "/storage/docker/registry/v2/blobs")
        let (third, again) = try push(["--to", "\(shared.address)/three", app], in: project)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(again.first?.uploaded == 4 && again.first?.mounted == 0, "\(again)")
        let copy = try Project(images: ["\(shared.address)/three/test/app:1"])
        #expect(try images(["pull"], in: copy).status == 0)
        #expect(try images(["verify"], in: copy).status == 0)
    }

    @Test func aLargeBlobGoesInChunksAndABrokenChunkIsResumed() throws {
        let shared = try TestRegistry(scripts: services.scripts)
        let repository = TestServices.uniqueRepository("push")
        // Random bytes do not compress: a 70 MB layer, three chunks of 32 MiB at most.
        try services.pushRandomImage("\(repository)/big:1", bytes: 70_000_000)
        let reference = "\(services.registry)/\(repository)/big:1"
        let project = try Project(images: [reference])
        #expect(try images(["pull"], in: project).status == 0)
        // The second chunk's connection is reset before the registry sees any of it.
        let front = try TestProxy(["fault", shared.address, "patch-reset", "1", "/blobs/uploads/"], scripts: services.scripts)
        let push = try images(["push", "--to", "\(front.address)/copy", "-v"], in: project)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("resuming at byte 33554432"), "\(push.stderr)")
        let stats = try front.stats()
        #expect(stats["faults"] as? Int == 1)
        // Three chunks, the second twice; never the first again.
        #expect((stats["methods"] as? [String: Int])?["PATCH"] == 4, "\(stats)")

        // What arrived is the image: another machine pulls it from there and verifies every byte.
        let lock = try project.lockText()
        let copy = try Project(images: ["\(shared.address)/copy/\(repository)/big:1"])
        #expect(try images(["pull"], in: copy).status == 0)
        #expect(try images(["verify"], in: copy).status == 0)
        let digest = try #require(lock.firstMatch(of: /"digest" : "(sha256:[0-9a-f]+)"/)?.1)
        #expect(try copy.lockText().contains(String(digest)))
    }

    @Test func uploadsAndManifestsAnswered5xxAreTriedAgainThenFailClearly() throws {
        let shared = try TestRegistry(scripts: services.scripts)
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        #expect(try images(["pull"], in: project).status == 0)

        // Two 503s to the manifest's PUT: tried again, and the push completes.
        let flaky = try TestProxy(["fault", shared.address, "503-put", "2", "/manifests/"], scripts: services.scripts)
        let push = try images(["push", "--to", "\(flaky.address)/flaky"], in: project)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stderr.contains("retry 1 of 4"), "\(push.stderr)")
        let stats = try flaky.stats()
        #expect(stats["faults"] as? Int == 2)
        // The two blobs' uploads end with a PUT each; then the manifest: 503 twice, by digest, by tag.
        #expect((stats["methods"] as? [String: Int])?["PUT"] == 2 + 2 + 2, "\(stats)")
        #expect(try servedDigest(shared.address, "flaky/test/base", "1").hasPrefix("sha256:"))

        // Uploads that always fail: the push gives up after the policy's tries, saying why, and
        // puts no manifest (nothing names blobs that are not there).
        let broken = try TestProxy(["fault", shared.address, "500", "1000", "/blobs/uploads/"], scripts: services.scripts)
        let failing = try images(["push", "--to", "\(broken.address)/broken"], in: project)
        #expect(failing.status != 0)
        #expect(failing.stderr.contains("answered 500"), "\(failing.stderr)")
        #expect(try servedDigest(shared.address, "broken/test/base", "1") == "")
    }

    @Test func whatCannotBePushedSaysWhyAndPushesNothing() throws {
        let shared = try TestRegistry(scripts: services.scripts)
        let base = "\(services.registry)/test/base:1"

        // Not in the cache yet.
        let project = try Project(images: [base])
        #expect(try images(["lock"], in: project).status == 0)
        let notPulled = try images(["push", "--to", shared.address], in: project)
        #expect(notPulled.status != 0)
        #expect(notPulled.stderr.contains("\(base) linux/amd64 is not in the cache"), "\(notPulled.stderr)")

        // No lock.
        let unlocked = try Project(images: [base])
        let noLock = try images(["push", "--to", shared.address], in: unlocked)
        #expect(noLock.status != 0 && noLock.stderr.contains("images.lock.json does not exist"), "\(noLock.stderr)")

        // Not a registry.
        #expect(try images(["pull"], in: project).status == 0)
        let badTarget = try images(["push", "--to", "just-a-name"], in: project)
        #expect(badTarget.status != 0 && badTarget.stderr.contains("'just-a-name' is not a registry"), "\(badTarget.stderr)")

        // Two declared images that would take the same tag with different content.
        let other = try TestRegistry(scripts: services.scripts)
        try run(
            "skopeo",
            [
                "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://\(services.registry)/test/app:1", "docker://\(other.address)/test/base:1",
            ])
        let colliding = try Project(images: [base, "\(other.address)/test/base:1"])
        #expect(try images(["pull"], in: colliding).status == 0)
        let collision = try images(["push", "--to", shared.address], in: colliding)
        #expect(collision.status != 0)
        #expect(collision.stderr.contains("would both be pushed to \(shared.address)/test/base:1"), "\(collision.stderr)")
        let catalog = try run("curl", ["-sf", "http://\(shared.address)/v2/_catalog"]).stdout
        #expect(catalog.contains(#""repositories":[]"#), "\(catalog)")

        // A registry that wants credentials we do not have; one whose anonymous tokens only pull.
        let denied = try images(["push", "--to", services.basicRegistry], in: project)
        #expect(denied.status != 0)
        #expect(denied.stderr.contains("registry \(services.basicRegistry) requires Basic authentication"), "\(denied.stderr)")
        let anonymous = try images(["push", "--to", "\(services.tokenRegistry)/anonymous"], in: project)
        #expect(anonymous.status != 0)
        #expect(
            anonymous.stderr.contains(
                "registry \(services.tokenRegistry) does not let this client push to anonymous/test/base (UNAUTHORIZED"),
            "\(anonymous.stderr)")
    }

    @Test func pushingWithATokenAsksForPushAndPullScopesAndMounts() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        #expect(try images(["pull"], in: project).status == 0)
        try project.login([services.tokenRegistry], user: services.user, password: services.password)
        let prefix = TestServices.uniqueRepository("pushed")
        let (push, pushed) = try push(["--to", "\(services.tokenRegistry)/\(prefix)", "-v"], in: project)
        #expect(push.status == 0, "\(push.stderr)")
        // The mount of base's layer into app asked for pull on the repository it came from.
        #expect(pushed.map(\.mounted) == [0, 1], "\(pushed)")
        #expect(
            push.stderr.contains("token for repository:\(prefix)/test/app:pull,push repository:\(prefix)/test/base:pull"),
            "\(push.stderr)")
        #expect(!push.stderr.contains(services.password))
        let copy = try Project(images: ["\(services.tokenRegistry)/\(prefix)/test/app:1"])
        try copy.login([services.tokenRegistry], user: services.user, password: services.password)
        #expect(try images(["pull"], in: copy).status == 0)
        #expect(try images(["verify"], in: copy).status == 0)
    }
}
