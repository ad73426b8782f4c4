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

    /// The media type of a `Content-Type` header: `application/vnd.oci.image.manifest.v1+json`
    /// of `application/vnd.oci.image.manifest.v1+json; charset=utf-8`, lowercased; nil for an
    /// empty value (or one of parameters only).
    public static func essence(ofContentType contentType: String) -> String? {
        let essence = contentType.prefix { $0 != ";" }.trimmingSpaces.lowercased()
        return essence.isEmpty ? nil : essence
    }

    /// Content types that say nothing of the kind of document (some registries serve manifests
    /// as plain JSON): the document itself then decides.
    static let neutralContentTypes: Set<String> = ["application/json", "application/octet-stream"]

    /// Whether `type` is a list of per-platform manifests.
    public static func isIndex(_ type: String) -> Bool { type == ociIndex || type == dockerManifestList }

    /// Whether `type` is a single-platform image manifest.
    public static func isImageManifest(_ type: String) -> Bool { type == ociManifest || type == dockerManifest }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        let start = firstIndex { !isSpace($0) } ?? endIndex
        let end = lastIndex { !isSpace($0) }.map(index(after:)) ?? start
        return self[start..<Swift.max(start, end)]
    }
}
