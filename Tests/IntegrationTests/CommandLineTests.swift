import Foundation
import Testing

/// The `images` executable as users and CI run it.
@Suite(.needsTestServices) struct CommandLineTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    @Test func pullLsAndInspectEndToEnd() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        let pull = try images(["pull"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        // Without a terminal: one line per image, then a summary.
        #expect(pull.stderr.contains("pulled \(services.registry)/test/base:1 linux/amd64"))
        #expect(pull.stderr.contains("2 images ready, 2 pulled"))

        let warm = try images(["pull", "--locked"], in: project)
        #expect(warm.status == 0)
        #expect(warm.stderr.contains("cached \(services.registry)/test/app:1 linux/amd64"))
        #expect(warm.stderr.contains("0 B fetched"))

        let list = try images(["ls"], in: project)
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("REFERENCE") == true)
        #expect(lines.count == 3)
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix("yes") })

        let inspect = try images(["inspect", "\(services.registry)/test/app:1"], in: project)
        #expect(inspect.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [[String: Any]]
        let manifest = json.first?["manifest"] as? [String: Any]
        #expect((manifest?["layers"] as? [Any])?.count == 3)
        #expect(json.first?["platform"] as? String == "linux/amd64")

        let missing = try images(["inspect", "\(services.registry)/test/multi:1"], in: project)
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: no image \(services.registry)/test/multi:1 in the cache at \(project.cache)\n")
    }

    @Test func aNameWrittenWithoutItsRegistryGetsTheDeclaredOneSuggested() throws {
        // 'test/app:1' means docker.io/test/app:1; the project's image is on another registry.
        let app = "\(services.registry)/test/app:1"
        let project = try Project(images: [app, "\(services.registry)/test/base:1"])
        #expect(try images(["pull", app], in: project).status == 0)
        let inspect = try images(["inspect", "test/app:1"], in: project)
        #expect(inspect.status == 1)
        #expect(inspect.stderr == "error: no image test/app:1 in the cache at \(project.cache); did you mean '\(app)'?\n")
        let remove = try images(["rm", "app:1"], in: project)
        #expect(remove.status == 1)
        #expect(remove.stderr.hasSuffix("; did you mean '\(app)'?\n"), "\(remove.stderr)")
        let pull = try images(["pull", "test/app"], in: project)
        #expect(pull.status == 1)
        // Without a tag it means test/app:latest, which nothing here is.
        #expect(pull.stderr.hasSuffix("'test/app' is not declared in this manifest\n"), "\(pull.stderr)")
        let report = try images(["report", "test/app:1"], in: project)
        #expect(report.stderr.hasSuffix("'test/app:1' is not declared in this manifest; did you mean '\(app)'?\n"), "\(report.stderr)")
        // A declared image not yet pulled: pulling is the remedy.
        let base = try images(["inspect", "\(services.registry)/test/base:1"], in: project)
        #expect(base.stderr.hasSuffix("is not in the cache at \(project.cache) (run 'images pull')\n"), "\(base.stderr)")
    }

    @Test func jsonOutputIsMachineReadable() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        let pull = try images(["pull", "--json"], in: project)
        #expect(pull.status == 0)
        #expect(pull.stderr.isEmpty)
        let json = try JSONSerialization.jsonObject(with: Data(pull.stdout.utf8)) as! [String: Any]
        let pulled = json["images"] as! [[String: Any]]
        #expect(pulled.first?["status"] as? String == "pulled")
        #expect(pulled.first?["reference"] as? String == "\(services.registry)/test/base:1")
        #expect((json["lock"] as! [[String: Any]]).first?["kind"] as? String == "added")

        let list = try images(["ls", "--json"], in: project)
        let entries = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        #expect(entries.first?["declared"] as? Bool == true)
        #expect((entries.first?["size"] as? Int ?? 0) > 600_000)
    }

    @Test func lockReportsMovedTagsWithOldAndNewDigest() throws {
        let repository = TestServices.uniqueRepository()
        try services.copy("test/base:1", to: "\(repository)/app:1")
        let project = try Project(images: ["\(services.registry)/\(repository)/app:1"])
        #expect(try images(["lock"], in: project).status == 0)
        let unchanged = try images(["lock"], in: project)
        #expect(unchanged.stdout == "lock is up to date (1 image)\n" && unchanged.stderr.isEmpty, "\(unchanged)")
        try services.copy("test/app:1", to: "\(repository)/app:1")
        let moved = try images(["lock"], in: project)
        #expect(moved.status == 0)
        #expect(moved.stdout.contains("moved \(services.registry)/\(repository)/app:1 sha256:"))
        #expect(moved.stdout.contains(" → sha256:"))
    }

    /// A lock a merge or a hand edit broke: the file, the place, and the way out; nothing pulled.
    @Test func aBrokenLockSaysWhereAndHowToWriteItAnew() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        for (text, problem) in [
            (#"{"version": 1, "images": [],}"#, "malformed JSON at line 1, column 29: a trailing comma before '}'"),
            (#"{"version": 1, "images": [{"ref": 5}]}"#, "images[0].ref: "),
        ] {
            try text.write(toFile: project.lockPath, atomically: true, encoding: .utf8)
            let pull = try images(["pull", "--locked"], in: project)
            #expect(pull.status == 1)
            #expect(pull.stderr.hasPrefix("error: \(project.lockPath): \(problem)"), "\(pull.stderr)")
            #expect(pull.stderr.hasSuffix(" (delete it and run 'images lock' to write it anew)\n"), "\(pull.stderr)")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: project.cache + "/blobs/sha256"))?.isEmpty ?? true)
        }
    }

    /// `lock --check`, as a bot or a CI step runs it after editing images.json: no request, no write.
    @Test func lockCheckSaysWhatTheLockLacksAndWritesNothing() throws {
        let base = "\(services.registry)/test/base:1"
        let app = "\(services.registry)/test/app:1"
        let project = try Project(images: [base])
        let missing = try images(["lock", "--check"], in: project)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("images.lock.json does not exist (run 'images lock' and commit it)"), "\(missing.stderr)")

        #expect(try images(["lock"], in: project).status == 0)
        let current = try images(["lock", "--check"], in: project)
        #expect(current.status == 0, "\(current.stderr)")
        #expect(current.stdout == "\(project.lockPath) pins what images.json declares\n")

        // An image added and one removed; then a digest written into a reference that the lock does not hold.
        let locked = try project.lockText()
        try project.write(images: [app])
        let stale = try images(["lock", "--check"], in: project)
        #expect(stale.status == 1)
        #expect(stale.stdout == "not pinned as declared: \(app)\nno longer declared: \(base)\n")
        #expect(stale.stderr.contains("does not match the manifest for \(app), \(base) (run 'images lock' and commit it)"))
        let json = try images(["lock", "--check", "--json"], in: project)
        #expect(json.status == 1)
        let result = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [String]]
        #expect(result == ["unpinned": [app], "undeclared": [base]])
        #expect(try project.lockText() == locked)

        let pinned = base + "@sha256:" + String(repeating: "0", count: 64)
        try project.write(images: [pinned])
        let moved = try images(["lock", "--check"], in: project)
        #expect(moved.status == 1)
        #expect(moved.stdout.contains("not pinned as declared: \(pinned)"))
        #expect(try project.lockText() == locked)
        #expect(try images(["lock", "--check", "--update"], in: project).stderr.contains("give --check or --update, not both"))
    }

    @Test func versionNamesTheReleaseAndTheCommit() throws {
        let result = try run(imagesBinary(), ["--version"])
        // Built from this git checkout: the commit (or tag) git describes.
        let commit = try run("git", ["-C", PluginTests.repository, "describe", "--always", "--dirty", "--abbrev=12"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(result.stdout == "0.1.0 (\(commit))\n")
    }

    @Test func quietPrintsNothingButErrors() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        let result = try images(["pull", "--quiet"], in: project)
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty && result.stderr.isEmpty)
        let failing = try images(["pull", "--quiet", "--manifest", project.directory + "/missing.json"], in: project)
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("missing.json: no such file"))
    }
}

extension CommandLineTests {
    @Test func pullingOnlySomeImagesLeavesTheOthersAlone() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        let one = try images(["pull", "\(services.registry)/test/base:1"], in: project)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stderr.contains("1 image ready, 1 pulled"), "\(one.stderr)")
        let list = try images(["ls", "--json"], in: project)
        let entries = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        #expect(entries.map { $0["reference"] as? String } == ["\(services.registry)/test/base:1"])

        let undeclared = try images(["pull", "\(services.registry)/test/other:1"], in: project)
        #expect(undeclared.status == 1)
        #expect(undeclared.stderr.contains("'\(services.registry)/test/other:1' is not declared in this manifest"))
    }
}
