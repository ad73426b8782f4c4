import LayoutStore
import OCIModel

extension Lockfile {
    /// A short key for CI caches (`actions/cache`, GitLab `cache:key`): `swift-images-v1-` and
    /// 16 hex digits of a sha256 over the cache format version and every image's canonical
    /// reference, digest and platform digests, in a fixed order. The same lock gives the same
    /// key on any machine (no path or date goes in); any digest or platform change gives another.
    public var cacheKey: String {
        var lines = ["swift-images cache format \(LayoutStore.formatVersion)"]
        for image in images.sorted(by: { $0.canonical < $1.canonical }) {
            lines.append("\(image.canonical) \(image.digest)")
            for (platform, digest) in image.platforms.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(platform) \(digest)")
            }
        }
        let hash = SHA256.digest(of: lines.joined(separator: "\n").utf8)
        return "swift-images-v\(LayoutStore.formatVersion)-" + hash.encoded.prefix(16)
    }
}
