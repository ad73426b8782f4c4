import Foundation
import LayoutStore
import OCIModel
import Testing

@testable import ImagesKit

@Suite struct PruneRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func workflow(keep: [String] = [], grace: TimeInterval = 86400) throws -> PruneWorkflow {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("prune-\(UUID().uuidString)").path
        let declared = DeclaredImage(
            written: "postgres:16", reference: try Reference(parsing: "postgres:16"),
            platforms: [Platform(os: "linux", architecture: "amd64")])
        return PruneWorkflow(
            store: try LayoutStore(root: root), engine: nil, declared: [declared],
            settings: PruneSettings(keep: keep, grace: grace), now: now)
    }

    @Test(
        arguments: [
            ("0", 0.0), ("45s", 45), ("90m", 5400), ("24h", 86400), ("7d", 604_800), ("2w", 1_209_600), ("1h30m", 5400),
        ] as [(String, TimeInterval)])
    func durationsParse(text: String, seconds: TimeInterval) {
        #expect(PruneSettings.parseDuration(text) == seconds)
    }

    @Test(arguments: ["", "soon", "7", "d", "1.5h", "-1d", "3 days", "7x"])
    func nonDurationsDoNotParse(text: String) {
        #expect(PruneSettings.parseDuration(text) == nil)
    }

    @Test func aDeclaredImageStaysWhateverItsAgeUnderAnyOfItsNames() throws {
        let rules = try workflow(grace: 0)
        let old = Date(timeIntervalSince1970: 0)
        #expect(rules.reason(toKeep: ["postgres:16"], lastUsed: old) == .declared)
        #expect(rules.reason(toKeep: ["docker.io/library/postgres:16"], lastUsed: old) == .declared)
        #expect(rules.reason(toKeep: ["postgres:15"], lastUsed: old) == nil)
    }

    @Test func keepPatternsMatchTheShortAndTheCanonicalName() throws {
        let rules = try workflow(keep: ["redis:*", "ghcr.io/acme/*", "acme/*"], grace: 0)
        #expect(rules.reason(toKeep: ["docker.io/library/redis:7"], lastUsed: nil) == .keepPattern("redis:*"))
        #expect(rules.reason(toKeep: ["ghcr.io/acme/tools/x:1"], lastUsed: nil) == .keepPattern("ghcr.io/acme/*"))
        #expect(rules.reason(toKeep: ["docker.io/acme/app:1"], lastUsed: nil) == .keepPattern("acme/*"))
        #expect(rules.reason(toKeep: ["docker.io/library/rediscover:1"], lastUsed: nil) == nil)
    }

    @Test func theGracePeriodCountsFromLastUseElseFromCreation() throws {
        let rules = try workflow(grace: 3600)
        let recent = now.addingTimeInterval(-600)
        let old = now.addingTimeInterval(-7200)
        #expect(rules.reason(toKeep: ["other:1"], lastUsed: recent) == .recentlyUsed(recent))
        #expect(rules.reason(toKeep: ["other:1"], lastUsed: old) == nil)
        // A record of use wins over a recent creation date.
        #expect(rules.reason(toKeep: ["other:1"], lastUsed: old, created: recent) == nil)
        #expect(rules.reason(toKeep: [], lastUsed: nil, created: recent) == .recentlyCreated(recent))
        #expect(rules.reason(toKeep: [], lastUsed: nil, created: old) == nil)
    }

    @Test(arguments: [(5.0, "5s"), (600, "10m"), (3 * 3600, "3h"), (3 * 86400, "3d")] as [(TimeInterval, String)])
    func agesReadLikeDockers(seconds: TimeInterval, text: String) {
        #expect(KeepReason.age(of: now.addingTimeInterval(-seconds), now: now) == text)
    }

    @Test func reasonsRoundTripThroughJSON() throws {
        let reasons: [KeepReason] = [
            .declared, .inUse(containers: ["web"]), .keepPattern("a/*"), .recentlyUsed(now), .recentlyCreated(now),
        ]
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode([KeepReason].self, from: encoder.encode(reasons)) == reasons)
        #expect(
            String(decoding: try encoder.encode(KeepReason.inUse(containers: ["web"])), as: UTF8.self).contains(
                #""kind":"inUse""#))
    }
}
