/// This release of swift-images.
public enum Release {
    public static let version = "0.1.0"
    /// What registries see in `User-Agent`, as every client names itself there (`docker/27.3.1
    /// go/go1.22.7 …`, `skopeo/1.13.3`): their logs and rate limits tell this tool apart.
    public static let userAgent = "swift-images/\(version)"
}
