import Foundation
import LayoutStore
import Testing

/// Pulls through a fault-injecting proxy of our own (`proxy.py fault`) in front of the real
/// registry: each fault ends in a correct cache or a clear error, never in a wrong blob or a
/// broken `index.json`; `images verify` is the judge.
@Suite struct FaultTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    /// An image of about 3 MB of its own, and a proxy in front of the registry that answers
    /// the first `times` requests whose path contains `path` with `action`.
    func faulty(_ action: String, times: Int, path: String = "/blobs/") throws -> (TestProxy, Project) {
        let repository = TestServices.uniqueRepository("fault")
        try services.pushRandomImage("\(repository)/image:1", bytes: 3_000_000)
        let proxy = try TestProxy(["fault", services.registry, action, String(times), path], scripts: services.scripts)
        return (proxy, try Project(images: ["\(proxy.address)/\(repository)/image:1"]))
    }

    /// The cache is whole: `images verify` passes, `index.json` is valid, no partial file is left.
    func expectSound(_ project: Project, holding imageCount: Int) throws {
        let verify = try images(["verify"], in: project)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("sound"))
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project.cache + "/index.json")))
        #expect(((index as? [String: Any])?["manifests"] as? [Any])?.count == imageCount)
        #expect(try project.strayFiles().isEmpty)
    }

    @Test(arguments: ["reset", "truncate", "stall"])
    func aBrokenDownloadResumesWhereItStopped(action: String) throws {
        let (proxy, project) = try faulty(action, times: 2)
        let pull = try images(["pull"], in: project, environment: ["SWIFT_IMAGES_READ_TIMEOUT": "2"])
        #expect(pull.status == 0, "\(pull.stderr)")
        let stats = try proxy.stats()
        #expect(stats["faults"] as? Int == 2)
        // Each break is followed by a request for the rest, never for the whole blob again.
        let ranges = try #require(stats["ranges"] as? [String])
        #expect(ranges.count == 2, "\(ranges)")
        let offsets = ranges.compactMap { Int($0.dropFirst("bytes=".count).dropLast()) }
        #expect(offsets.count == 2 && offsets.allSatisfy { $0 > 0 } && offsets == offsets.sorted(), "\(ranges)")
        #expect(pull.stderr.contains("resuming, retry 1 of 4"))
        try expectSound(project, holding: 1)
    }

    @Test func damagedContentIsFetchedOnceMoreAndNeverStored() throws {
        let (once, recovering) = try faulty("flip", times: 1)
        let recovered = try images(["pull"], in: recovering)
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(recovered.stderr.contains("fetching it again"))
        #expect(try once.stats()["faults"] as? Int == 1)
        try expectSound(recovering, holding: 1)

        let (twice, failing) = try faulty("flip", times: 2)
        let failed = try images(["pull"], in: failing)
        #expect(failed.status == 1)
        #expect(try twice.stats()["faults"] as? Int == 2)
        #expect(failed.stderr.contains("hashed to sha256:"))
        #expect(failed.stderr.contains("nothing was stored"))
        try expectSound(failing, holding: 0)
    }

    @Test(arguments: [("500", "/blobs/"), ("503", "/manifests/"), ("429", "/blobs/")])
    func serverErrorsAndTooManyRequestsAreRetried(status: String, path: String) throws {
        let (proxy, project) = try faulty(status, times: 2, path: path)
        let pull = try images(["pull"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("answered \(status)"))
        #expect(pull.stderr.contains("retry 2 of 4"))
        let stats = try proxy.stats()
        #expect(stats["faults"] as? Int == 2)
        if status == "429" {
            // Retry-After: 1 is honoured, not the shorter backoff.
            let gaps = try #require(stats["gaps"] as? [Double])
            #expect(gaps.count == 2 && gaps.allSatisfy { $0 >= 0.9 }, "\(gaps)")
        }
        try expectSound(project, holding: 1)
    }

    @Test func aRegistryThatKeepsFailingFailsClearlyAfterBoundedRetries() throws {
        let (proxy, project) = try faulty("503", times: 1000)
        let pull = try images(["pull"], in: project)
        #expect(pull.status == 1)
        #expect(pull.stderr.contains("registry \(proxy.address) answered 503"))
        #expect(pull.stderr.contains("UNAVAILABLE: injected fault"))
        // One blob at a time fails: five tries each, no more.
        let faults = try #require(try proxy.stats()["faults"] as? Int)
        #expect(faults >= 5 && faults % 5 == 0, "\(faults)")
        try expectSound(project, holding: 0)
    }

    @Test func aRetryAfterBeyondThePolicysPatienceIsNotWaitedFor() throws {
        let (proxy, project) = try faulty("503-later", times: 1000, path: "/manifests/")
        let pull = try images(["pull"], in: project)
        #expect(pull.status == 1)
        #expect(pull.stderr.contains("answered 503"))
        // The HEAD, then the GET that fetches the registry's own words: neither is tried again.
        #expect(try proxy.stats()["faults"] as? Int == 2)
    }

    @Test func anExhaustedRateLimitFailsAtOnceSayingSo() throws {
        let (proxy, project) = try faulty("exhausted", times: 1000, path: "/manifests/")
        let pull = try images(["pull"], in: project)
        #expect(pull.status == 1)
        #expect(pull.stderr.contains("is rate-limiting this client"))
        #expect(pull.stderr.contains("0 of 100 pulls left per 6h"))
        #expect(pull.stderr.contains("it asks to wait 3600 s"))
        #expect(try proxy.stats()["faults"] as? Int == 1)
    }

    @Test func theRateLimitIsReported() throws {
        let (proxy, project) = try faulty("none", times: 0)
        let verbose = try images(["pull", "-v"], in: project)
        #expect(verbose.status == 0, "\(verbose.stderr)")
        #expect(verbose.stderr.contains("\(proxy.address): rate limit 42 of 100 pulls left per 6h"))
        try FileManager.default.removeItem(atPath: project.cache)
        let pull = try images(["pull", "--json"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(pull.stdout.utf8)) as? [String: Any]
        let limit = try #require((document?["rateLimits"] as? [String: Any])?[proxy.address] as? [String: Int])
        #expect(limit == ["limit": 100, "remaining": 42, "window": 21600])
    }
}

/// `images verify` on a cache with damage of every kind, then `--repair` and a pull.
@Suite struct VerifyTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    @Test func verifyFindsEveryKindOfDamageAndRepairLetsThePullMendIt() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        #expect(try images(["pull"], in: project).status == 0)
        #expect(try images(["report"], in: project).status == 0)  // records layer diff_ids
        let sound = try images(["verify", "--json"], in: project)
        #expect(sound.status == 0, "\(sound.stderr)")
        let before = try JSONDecoder().decode(VerifyReport.self, from: Data(sound.stdout.utf8))
        #expect(before.isSound && before.blobs >= 6 && before.layersDecompressed >= 3)

        // One layer's bytes changed, one blob gone, a stray file.
        let blobs = project.cache + "/blobs/sha256/"
        let byPath = try FileManager.default.contentsOfDirectory(atPath: blobs).sorted {
            (try FileManager.default.attributesOfItem(atPath: blobs + $0)[.size] as! Int)
                > (try FileManager.default.attributesOfItem(atPath: blobs + $1)[.size] as! Int)
        }
        let (damaged, gone) = (byPath[0], byPath[1])
        let handle = try #require(FileHandle(forUpdatingAtPath: blobs + damaged))
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: Data("damage".utf8))
        try handle.close()
        try FileManager.default.removeItem(atPath: blobs + gone)
        FileManager.default.createFile(atPath: blobs + "notes.txt", contents: Data("hello".utf8))

        let found = try images(["verify", "--json"], in: project)
        #expect(found.status == 1)
        let report = try JSONDecoder().decode(VerifyReport.self, from: Data(found.stdout.utf8))
        let kinds = Dictionary(grouping: report.problems, by: \.kind)
        #expect(kinds[.corrupt]?.map(\.blob) == ["sha256:" + damaged])
        #expect(kinds[.missing]?.contains { $0.blob == "sha256:" + gone && $0.detail.contains("needed by ") } == true)
        #expect(kinds[.stray]?.map(\.blob) == ["notes.txt"])
        #expect(report.problems.allSatisfy { !$0.removed })
        #expect(!report.incompleteImages.isEmpty)

        // The images still lack two blobs after the repair: exit 1, and a word on what to run.
        let repair = try images(["verify", "--repair"], in: project)
        #expect(repair.status == 1)
        #expect(repair.stdout.contains("corrupt sha256:\(damaged)") && repair.stdout.contains("(removed)"))
        #expect(repair.stdout.contains("3 problems, 2 removed"), "\(repair.stdout)")
        #expect(repair.stderr.contains("run 'images pull' to fetch the blobs these images lack: "), "\(repair.stderr)")
        #expect(!FileManager.default.fileExists(atPath: blobs + damaged))
        #expect(!FileManager.default.fileExists(atPath: blobs + "notes.txt"))

        let pull = try images(["pull", "--locked"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        let after = try images(["verify"], in: project)
        #expect(after.status == 0, "\(after.stderr)")

        // A repair that leaves nothing wrong succeeds, and sends nobody to pull.
        FileManager.default.createFile(atPath: blobs + "notes.txt", contents: Data("hello".utf8))
        let strayOnly = try images(["verify", "--repair"], in: project)
        #expect(strayOnly.status == 0, "\(strayOnly.stdout)\(strayOnly.stderr)")
        #expect(strayOnly.stdout.contains("1 problem, all removed"), "\(strayOnly.stdout)")
        #expect(!strayOnly.stderr.contains("images pull"))
        let json = try images(["verify", "--json"], in: project)
        let final = try JSONDecoder().decode(VerifyReport.self, from: Data(json.stdout.utf8))
        #expect(final.isSound && final.incompleteImages.isEmpty)
    }

    /// `kill -9` at random moments of pulls, then one pull that completes and a sound cache.
    @Test func pullsKilledAtRandomMomentsLeaveACacheTheNextPullCompletes() async throws {
        let repository = TestServices.uniqueRepository("kill")
        try services.pushRandomImage("\(repository)/a:1", bytes: 4_000_000)
        try services.pushRandomImage("\(repository)/b:1", bytes: 2_000_000)
        // The throttling front (4 MB/s) makes a cold pull last about a second and a half.
        let project = try Project(images: ["a", "b"].map { "\(services.slowRegistry)/\(repository)/\($0):1" })
        #expect(try images(["lock"], in: project).status == 0)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try imagesBinary())
            process.arguments = ["pull", "--locked", "--quiet"]
            process.currentDirectoryURL = URL(fileURLWithPath: project.directory)
            process.environment = ProcessInfo.processInfo.environment.merging(
                ["HOME": project.directory, "SWIFT_IMAGES_CACHE": project.cache]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0...1_200_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Whatever the moment, what the cache holds is right.
            let verify = try images(["verify", "--json"], in: project)
            let report = try JSONDecoder().decode(VerifyReport.self, from: Data(verify.stdout.utf8))
            #expect(report.problems.allSatisfy { $0.kind == .missing }, "\(report.problems)")
        }
        let pull = try images(["pull", "--locked"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        let verify = try images(["verify"], in: project)
        #expect(verify.status == 0, "\(verify.stderr)")
        let stray = try project.strayFiles()
        #expect(stray.isEmpty, "\(stray)")
    }
}
