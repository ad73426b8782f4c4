import Foundation
import Testing

/// The CI path: `cache-key`, and a warm `pull --locked` that makes no request at all, counted by
/// a proxy in front of the registry (not by the tool's own account).
@Suite(.needsTestServices) struct WarmPathTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    /// A counting proxy of our own in front of the plain registry.
    func countingProxy() throws -> TestProxy { try TestProxy(["count", services.registry], scripts: services.scripts) }

    @Test func aWarmLockedPullMakesNoRequestAndOfflineProvesIt() throws {
        let proxy = try countingProxy()
        let project = try Project(images: ["\(proxy.address)/test/base:1", "\(proxy.address)/test/app:1"])
        let cold = try images(["pull"], in: project)
        #expect(cold.status == 0, "\(cold.stderr)")
        let afterCold = try proxy.requests()
        #expect(afterCold > 0)
        let version = try run(try imagesBinary(), ["--version"]).stdout.split(separator: " ").first.map(String.init)
        #expect(try proxy.stats()["agents"] as? [String] == ["swift-images/\(version ?? "?")"], "every request names the tool")

        let warm = try images(["pull", "--locked"], in: project)
        #expect(warm.status == 0)
        #expect(try proxy.requests() == afterCold)
        let offline = try images(["pull", "--locked", "--offline"], in: project)
        #expect(offline.status == 0)
        #expect(try proxy.requests() == afterCold)
    }

    @Test func aPullWritesIndexJSONOnceAndAWarmPullNotAtAll() throws {
        // Twelve images, each in a repository of its own.
        var references: [String] = []
        for _ in 0..<6 {
            for (source, name) in [("test/base:1", "base"), ("test/app:1", "app")] {
                let repository = TestServices.uniqueRepository("warm") + "/\(name):1"
                try services.copy(source, to: repository)
                references.append("\(services.registry)/\(repository)")
            }
        }
        let project = try Project(images: references)
        let cold = try tracedRenames(["pull"], in: project)
        #expect(cold.writes(of: "index.json") == 1)
        #expect(cold.writes(of: "metadata.json") <= 1)
        let warm = try tracedRenames(["pull", "--locked"], in: project)
        #expect(warm.writes(of: "index.json") == 0)
        #expect(warm.writes(of: "metadata.json") <= 1)
        #expect(warm.writes(of: "images.lock.json") == 0)
    }

    /// The `rename(2)` calls of a run of the CLI, as `strace` sees them: every file the cache and
    /// the lock write goes into place by one rename.
    struct Renames {
        var lines: [Substring]
        func writes(of name: String) -> Int { lines.filter { $0.contains("/\(name)\"") }.count }
    }

    func tracedRenames(_ arguments: [String], in project: Project) throws -> Renames {
        let trace = project.directory + "/trace-\(UUID().uuidString)"
        let environment = ["HOME": project.directory, "SWIFT_IMAGES_CACHE": project.cache]
        let result = try run(
            "strace", ["-f", "-qq", "-e", "trace=rename,renameat,renameat2", "-o", trace, try imagesBinary()] + arguments,
            environment: environment, directory: project.directory, check: false)
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        return Renames(lines: text.split(separator: "\n").filter { $0.contains("= 0") })
    }

    @Test func offlineWithoutTheCacheNamesWhatIsMissing() throws {
        let proxy = try countingProxy()
        let reference = "\(proxy.address)/test/base:1"
        let project = try Project(images: [reference])
        #expect(try images(["lock"], in: project).status == 0)
        let afterLock = try proxy.requests()
        let offline = try images(["pull", "--locked", "--offline"], in: project)
        #expect(offline.status == 1)
        #expect(offline.stderr.contains(reference))
        #expect(try proxy.requests() == afterLock)
    }

    @Test func theCacheKeyFollowsTheLockAndNothingElse() throws {
        let first = try Project(images: ["\(services.registry)/test/base:1"])
        let missing = try images(["cache-key"], in: first)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: "))
        #expect(missing.stderr.contains("images.lock.json does not exist (run 'images lock' and commit it)"))

        #expect(try images(["lock"], in: first).status == 0)
        let key = try images(["cache-key"], in: first)
        #expect(key.status == 0)
        #expect(key.stdout.wholeMatch(of: /swift-images-v1-[0-9a-f]{16}\n/) != nil)
        // Another machine (directory, HOME, cache) with the same lock: the same key.
        let second = try Project(images: ["\(services.registry)/test/base:1"])
        try FileManager.default.copyItem(atPath: first.lockPath, toPath: second.lockPath)
        #expect(try images(["cache-key"], in: second).stdout == key.stdout)
        #expect(try images(["cache-key"], in: first).stdout == key.stdout)

        // Another image in the lock: another key.
        try first.write(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        #expect(try images(["lock"], in: first).status == 0)
        let changed = try images(["cache-key", "--json"], in: first)
        #expect(!changed.stdout.contains(key.stdout.trimmingCharacters(in: .newlines)))
        #expect(changed.stdout.contains(#""key" : "swift-images-v1-"#))
    }
}
