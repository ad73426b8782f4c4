/// The media types this tool reads and writes (OCI image spec "Media Types" and their
/// Docker image manifest v2 schema 2 counterparts).
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerManifestV1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    /// Every manifest type a registry may answer with, in the order of preference sent in `Accept`.
    public static let acceptedManifests = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    /// Whether `type` is a list of per-platform manifests.
    public static func isIndex(_ type: String) -> Bool { type == ociIndex || type == dockerManifestList }

    /// Whether `type` is a single-platform image manifest.
    public static func isImageManifest(_ type: String) -> Bool { type == ociManifest || type == dockerManifest }
}
