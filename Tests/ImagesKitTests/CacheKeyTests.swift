import OCIModel
import Testing

@testable import ImagesKit

@Suite struct CacheKeyTests {
    func digest(_ character: Character) -> Digest { try! .sha256(hex: String(repeating: character, count: 64)) }

    func lock(appDigest: Character = "a", platforms: [String: Character] = ["linux/amd64": "b"]) -> Lockfile {
        Lockfile(images: [
            LockedImage(
                ref: "postgres:16", canonical: "docker.io/library/postgres:16", digest: digest(appDigest),
                mediaType: MediaType.ociIndex, platforms: platforms.mapValues(digest)),
            LockedImage(
                ref: "swift:6.0-jammy", canonical: "docker.io/library/swift:6.0-jammy", digest: digest("c"),
                mediaType: MediaType.ociManifest, platforms: ["linux/amd64": digest("c")]),
        ])
    }

    @Test func theKeyIsShortStableAndNamesTheFormat() {
        let key = lock().cacheKey
        #expect(key.hasPrefix("swift-images-v1-"))
        #expect(key.count == "swift-images-v1-".count + 16)
        #expect(lock().cacheKey == key)
        // The same on every machine and in every version of this tool with this cache format:
        // computed independently (sha256 of the documented lines, in Python).
        #expect(key == "swift-images-v1-c5d270ed1691109c")
    }

    @Test func anyDigestOrPlatformChangeGivesANewKey() {
        let keys = [
            lock().cacheKey,
            lock(appDigest: "d").cacheKey,
            lock(platforms: ["linux/amd64": "e"]).cacheKey,
            lock(platforms: ["linux/amd64": "b", "linux/arm64": "f"]).cacheKey,
        ]
        #expect(Set(keys).count == keys.count)
    }

    @Test func howTheImagesAreWrittenDoesNotMatter() {
        var renamed = lock()
        renamed.images[0].ref = "docker.io/library/postgres:16"
        #expect(renamed.cacheKey == lock().cacheKey)
        #expect(Lockfile(images: lock().images.reversed()).cacheKey == lock().cacheKey)
    }
}
