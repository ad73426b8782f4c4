import Foundation
import LayoutStore
import Testing

/// Pulls through a fault-injecting proxy of our own (`proxy.py fault`) in front of the real
/// registry: each fault ends in a correct cache or a clear error, never in a wrong blob or a
/// broken `index.json`; `images verify` is the judge.
@Suite(.needsTestServices) struct FaultTests {
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
