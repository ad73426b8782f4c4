import Foundation
import ImagesKit
import LayoutStore
import OCIModel
import Testing

/// `images prune` on a cache shared by two projects, and on a real dockerd.
@Suite(.needsTestServices) struct PruneTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    /// Bytes of the blobs a cache holds.
    func blobBytes(_ cache: String) throws -> Int64 {
        let directory = cache + "/blobs/sha256"
        return try FileManager.default.contentsOfDirectory(atPath: directory).reduce(0) { total, name in
            total + ((try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int64) ?? 0)
        }
    }

    /// Two projects sharing one cache: `mine` declares base and app, `theirs` declares an image
    /// of its own. Both pulled.
    func sharedCache() throws -> (mine: Project, theirs: Project, theirImage: String, cache: String) {
        let repository = TestServices.uniqueRepository("prune")
        try services.pushRandomImage("\(repository)/theirs:1", bytes: 500_000)
        let theirImage = "\(services.registry)/\(repository)/theirs:1"
        let mine = try Project(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        let theirs = try Project(images: [theirImage])
        let environment = ["SWIFT_IMAGES_CACHE": mine.cache]
        #expect(try images(["pull", "--quiet"], in: mine, environment: environment).status == 0)
        #expect(try images(["pull", "--quiet"], in: theirs, environment: environment).status == 0)
        return (mine, theirs, theirImage, mine.cache)
    }

    func prune(_ arguments: [String], in project: Project, cache: String) throws -> (CommandResult, PruneReport) {
        let result = try images(["prune", "--json"] + arguments, in: project, environment: ["SWIFT_IMAGES_CACHE": cache])
        #expect(result.status == 0, "\(result.stderr)")
        return (result, try JSONDecoder.prune.decode(PruneReport.self, from: Data(result.stdout.utf8)))
    }

    /// Sets when the cache says an image was last used.
    func setLastUsed(_ reference: String, _ date: Date, in cache: String) throws {
        let path = cache + "/.swift-images/metadata.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var images = json["images"] as! [String: Any]
        let key = try Reference(parsing: reference).description + " linux/amd64"
        #expect(images[key] != nil)
        images[key] = ["lastUsed": ISO8601DateFormatter().string(from: date)]
        json["images"] = images
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    }

    @Test func anotherProjectsImageStaysWithinTheGracePeriodAndGoesAfterIt() throws {
        let (mine, _, theirImage, cache) = try sharedCache()
        let theirName = try Reference(parsing: theirImage).description
        try setLastUsed(theirImage, Date().addingTimeInterval(-2 * 86400), in: cache)

        let (_, withinAWeek) = try prune(["--grace", "7d"], in: mine, cache: cache)
        #expect(withinAWeek.removed.isEmpty)
        let kept = try #require(withinAWeek.kept.first { $0.name == theirName })
        guard case .recentlyUsed = kept.kept else { Issue.record("kept for \(String(describing: kept.kept))"); return }
        #expect(withinAWeek.kept.filter { $0.kept == .declared }.count == 2)

        let before = try blobBytes(cache)
        let (text, afterADay) = try prune(["--grace", "1d"], in: mine, cache: cache)
        #expect(afterADay.removed.map(\.name) == [theirName])
        #expect(afterADay.reclaimedBytes == before - (try blobBytes(cache)))
        #expect(afterADay.reclaimedBytes > 500_000)
        #expect(text.status == 0)
        // What mine declares is whole: an offline pull finds everything.
        #expect(try images(["pull", "--offline", "--locked"], in: mine, environment: ["SWIFT_IMAGES_CACHE": cache]).status == 0)
    }

    @Test func aDryRunPlansExactlyWhatTheRunDoesAndASecondRunDoesNothing() throws {
        let (mine, _, theirImage, cache) = try sharedCache()
        let (dryText, dry) = try prune(["--grace", "0", "--dry-run"], in: mine, cache: cache)
        #expect(dry.dryRun)
        #expect(dry.removed.map(\.name) == [try Reference(parsing: theirImage).description])
        let before = try blobBytes(cache)
        let (_, real) = try prune(["--grace", "0"], in: mine, cache: cache)
        #expect(real.removed == dry.removed)
        #expect(real.kept == dry.kept)
        #expect(real.reclaimedBytes == dry.reclaimedBytes)
        #expect(real.reclaimedBytes == before - (try blobBytes(cache)))
        let (_, again) = try prune(["--grace", "0"], in: mine, cache: cache)
        #expect(again.removed.isEmpty)
        #expect(again.reclaimedBytes == 0)

        let human = try images(["prune", "--grace", "0", "--dry-run"], in: mine, environment: ["SWIFT_IMAGES_CACHE": cache])
        #expect(human.stdout.hasSuffix("0 to remove from the cache, 2 kept, 0 B to reclaim\n"), "\(human)")
        #expect(human.stderr.isEmpty, "\(human.stderr)")
        #expect(dryText.stdout.contains(#""dryRun" : true"#))
    }

    @Test func aCorruptRecordOfUseKeepsEveryUndeclaredImageAndSaysWhy() throws {
        let (mine, theirs, theirImage, cache) = try sharedCache()
        let path = cache + "/.swift-images/metadata.json"
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let before = try blobBytes(cache)

        let (_, dry) = try prune(["--grace", "0", "--dry-run"], in: mine, cache: cache)
        let (text, real) = try prune(["--grace", "0"], in: mine, cache: cache)
        for report in [dry, real] {
            #expect(report.removed.isEmpty)
            let theirs = try #require(report.kept.first { $0.name == (try Reference(parsing: theirImage).description) })
            guard case .useUnknown(let reason) = theirs.kept else {
                Issue.record("kept for \(String(describing: theirs.kept))")
                continue
            }
            #expect(reason.contains(path))
        }
        #expect(text.stdout.contains(#""kind" : "useUnknown""#))
        #expect(try blobBytes(cache) == before)
        // A pull starts a new record, and prune goes by it again.
        #expect(try images(["pull", "--quiet"], in: theirs, environment: ["SWIFT_IMAGES_CACHE": cache]).status == 0)
        let (_, afterPull) = try prune(["--grace", "1h", "--dry-run"], in: mine, cache: cache)
        #expect(afterPull.kept.contains { if case .recentlyUsed = $0.kept { true } else { false } })
    }

    @Test func keepPatternsFromTheManifestAndTheCommandLine() throws {
        let (mine, _, theirImage, cache) = try sharedCache()
        let repository = theirImage.split(separator: "/").dropFirst().dropLast().joined(separator: "/")
        let (_, byOption) = try prune(["--grace", "0", "--keep", "*/\(repository)/*"], in: mine, cache: cache)
        #expect(byOption.removed.isEmpty)
        #expect(byOption.kept.contains { $0.kept == .keepPattern("*/\(repository)/*") })

        try mine.write(
            images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"],
            extra: #""prune": {"keep": ["*theirs:*"], "grace": "0"},"#)
        let (_, byManifest) = try prune([], in: mine, cache: cache)
        #expect(byManifest.removed.isEmpty)
        #expect(byManifest.kept.contains { $0.kept == .keepPattern("*theirs:*") })
    }

    @Test func badGraceValuesAreErrors() throws {
        let project = try Project(images: ["alpine:3"], extra: #""prune": {"grace": "soon"},"#)
        let fromManifest = try images(["prune"], in: project)
        #expect(fromManifest.status == 1)
        #expect(fromManifest.stderr.contains("images.json: prune.grace: 'soon' is not a duration"))
        let fromOption = try images(["prune", "--grace", "3 days"], in: try Project(images: ["alpine:3"]))
        #expect(fromOption.status == 64)
        #expect(fromOption.stderr.contains("--grace '3 days' is not a duration"))
    }

    @Test func aPruneDuringAPullWaitsAndLeavesThePullsImageWhole() async throws {
        let repository = TestServices.uniqueRepository("prune")
        try services.pushRandomImage("\(repository)/big:1", bytes: 12_000_000)
        let pulling = try Project(images: ["\(services.slowRegistry)/\(repository)/big:1"])
        let pruning = try Project(images: ["\(services.registry)/test/base:1"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try imagesBinary())
        process.arguments = ["pull", "--manifest", pulling.manifestPath, "--cache", pulling.cache, "--quiet"]
        process.environment = ["HOME": pulling.directory, "PATH": "/usr/bin:/bin"]
        let errors = pulling.directory + "/pull.stderr"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errors)
        try process.run()
        let ingest = pulling.cache + "/.swift-images/ingest"
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning, ContinuousClock.now < deadline,
            ((try? FileManager.default.contentsOfDirectory(atPath: ingest)) ?? []).isEmpty
        {
            usleep(10_000)  // without giving the thread up (see CacheTests' kill test)
        }
        #expect(
            process.isRunning,
            "the pull finished before the prune started: \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        // The default grace period: what the pull records counts as used now.
        let (_, report) = try prune([], in: pruning, cache: pulling.cache)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(report.removed.isEmpty)
        let offline = try images(["pull", "--offline", "--locked"], in: pulling)
        #expect(offline.status == 0, "\(offline.stderr)")
        let store = try LayoutStore(root: pulling.cache)
        for name in try FileManager.default.contentsOfDirectory(atPath: pulling.cache + "/blobs/sha256") {
            _ = try store.readBlob(try OCIModel.Digest.sha256(hex: name))  // every blob verifies
        }
    }
}

extension JSONDecoder {
    static var prune: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// `images prune --engine` on the dockerd in its own network namespace, which few other tests
/// use; what other tests load there is recent, and kept by the grace period of an hour these
/// tests use. Their own images are hand-made with no creation date (1970), so only the reasons
/// under test keep them.
extension PruneTests {
    @Test func theDaemonKeepsDeclaredInUseAndKeptImagesAndLosesTheRest() async throws {
        let repository = TestServices.uniqueRepository("prune")
        let host = services.isolatedDockerHost
        func load(_ references: [String]) async throws {
            let project = try Project(images: references)
            _ = try await project.withWorkspace { try await $0.pull() }
            _ = try await project.withWorkspace(environment: ["DOCKER_HOST": host]) { try await $0.load() }
        }
        func loaded(_ name: String) async throws -> String {
            _ = try services.pushHandMadeImage("messy", to: "\(repository)/\(name):1")
            let reference = "\(services.registry)/\(repository)/\(name):1"
            try await load([reference])
            return reference
        }
        let declared = try await loaded("declared")
        let undeclared = try await loaded("undeclared")
        let stopped = try await loaded("stopped")
        let kept = try await loaded("kept")
        // A dangling image: its tag moves to another image.
        let moving = try await loaded("moving")
        // Two undeclared images on a base layer only they have: it goes with them, and counts once.
        try services.pushHandMadeSiblings(to: ["\(repository)/sibling-a:1", "\(repository)/sibling-b:1"])
        let siblings = ["sibling-a", "sibling-b"].map { "\(services.registry)/\(repository)/\($0):1" }
        try await load(siblings)
        let danglingID = try services.docker(["image", "inspect", "--format", "{{.Id}}", moving], host: host).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try services.docker(["tag", undeclared, moving], host: host)
        try services.docker(["rmi", moving], host: host)
        // A running container needs a shell: a busybox image, recent, so kept by grace unless in use.
        try services.pushRandomImage("\(repository)/running:1", bytes: 1000)
        let running = "\(services.registry)/\(repository)/running:1"
        let runningProject = try Project(images: [running])
        _ = try await runningProject.withWorkspace { try await $0.pull() }
        _ = try await runningProject.withWorkspace(environment: ["DOCKER_HOST": host]) { try await $0.load() }
        let runningName = "prune-running-\(UUID().uuidString.prefix(8))"
        let stoppedName = "prune-stopped-\(UUID().uuidString.prefix(8))"
        try services.docker(["run", "-d", "--name", runningName, "--network", "none", running, "sleep", "300"], host: host)
        try services.docker(["create", "--name", stoppedName, "--network", "none", stopped, "/nothing"], host: host)
        defer {
            _ = try? services.docker(["rm", "-f", runningName, stoppedName], host: host, check: false)
        }

        let project = try Project(images: [declared])
        let environment = ["DOCKER_HOST": host]
        let arguments = ["prune", "--engine", "--json", "--grace", "1h", "--keep", "*/\(repository)/kept:*"]
        let refused = try images(["prune", "--engine"], in: project, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("pass --yes to confirm"))

        let dry = try images(arguments + ["--dry-run"], in: project, environment: environment)
        #expect(dry.status == 0, "\(dry.stderr)")
        let plan = try JSONDecoder.prune.decode(PruneReport.self, from: Data(dry.stdout.utf8))
        func mine(_ images: [PrunedImage]) -> [PrunedImage] {
            images.filter { $0.name.contains(repository) || $0.id == danglingID }
        }
        let siblingIDs = try siblings.map { try imageID($0, host) }
        #expect(Set(mine(plan.removed).map(\.id)) == Set([try imageID(undeclared, host), danglingID] + siblingIDs))
        let reasons = Dictionary(mine(plan.kept).map { ($0.name, $0.kept) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons[declared] == .declared)
        #expect(reasons[kept] == .keepPattern("*/\(repository)/kept:*"))
        #expect(reasons[stopped] == .inUse(containers: [stoppedName]))
        #expect(reasons[running] == .inUse(containers: [runningName]))
        // Other tests' images are recent: the grace period keeps every one of them (an image left
        // by an earlier run of this test may go: it is undeclared and made in 1970).
        for other in plan.removed where mine([other]).isEmpty {
            let inspect = try services.dockerAPI("/images/\(other.id)/json", host: host) as! [String: Any]
            let created = try #require(
                ISO8601DateFormatter().date(from: String((inspect["Created"] as! String).prefix(19)) + "Z"))
            #expect(created < Date().addingTimeInterval(-3600), "\(other.name) was created \(created)")
        }

        let before = try services.dockerAPI("/system/df", host: host) as! [String: Any]
        let real = try images(arguments + ["--yes"], in: project, environment: environment)
        #expect(real.status == 0, "\(real.stderr)")
        let done = try JSONDecoder.prune.decode(PruneReport.self, from: Data(real.stdout.utf8))
        #expect(done.removed.map(\.id) == plan.removed.map(\.id))
        let after = try services.dockerAPI("/system/df", host: host) as! [String: Any]
        #expect(
            done.reclaimedBytes == (before["LayersSize"] as! NSNumber).int64Value - (after["LayersSize"] as! NSNumber).int64Value)
        #expect(done.reclaimedBytes == plan.reclaimedBytes)
        #expect(done.reclaimedBytes > 0)
        for gone in [undeclared, danglingID] + siblings {
            #expect(try services.docker(["image", "inspect", gone], host: host, check: false).status == 1)
        }
        for stays in [declared, kept, stopped, running] {
            #expect(try services.docker(["image", "inspect", stays], host: host, check: false).status == 0)
        }
        let again = try images(arguments + ["--yes"], in: project, environment: environment)
        let second = try JSONDecoder.prune.decode(PruneReport.self, from: Data(again.stdout.utf8))
        #expect(mine(second.removed).isEmpty)
    }

    func imageID(_ name: String, _ host: String) throws -> String {
        try services.docker(["image", "inspect", "--format", "{{.Id}}", name], host: host).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
