import Foundation

/// An image manifest (OCI image spec "Image Manifest", or Docker v2 schema 2): one config
/// blob and an ordered list of layers for one platform.
public struct Manifest: Hashable, Sendable, Codable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    /// Every blob this manifest needs, config first.
    public var blobs: [Descriptor] { [config] + layers }
}

/// An image index (OCI) or manifest list (Docker): one manifest per platform, and sometimes
/// attestation manifests marked `unknown/unknown`.
public struct Index: Hashable, Sendable, Codable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = 2
        self.mediaType = MediaType.ociIndex
        self.manifests = manifests
        self.annotations = annotations
    }

    /// The image manifest for `platform`, skipping attestations and non-image entries.
    /// When several entries match (an index may list variants), the first one wins, as in Docker.
    public func manifest(for platform: Platform) -> Descriptor? {
        manifests.first { descriptor in
            guard let candidate = descriptor.platform, !candidate.isUnknown,
                MediaType.isImageManifest(descriptor.mediaType)
            else { return false }
            return platform.matches(candidate)
        }
    }

    /// The platforms this index offers images for (attestations excluded).
    public var platforms: [Platform] {
        manifests.compactMap { descriptor in
            guard let platform = descriptor.platform, !platform.isUnknown,
                MediaType.isImageManifest(descriptor.mediaType)
            else { return nil }
            return platform
        }
    }
}

/// The parts of an image configuration (OCI image spec "Image Configuration") this tool reads.
public struct ImageConfig: Hashable, Sendable, Codable {
    public struct RootFS: Hashable, Sendable, Codable {
        public var type: String
        public var diffIDs: [Digest]
        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    public struct History: Hashable, Sendable, Codable {
        public var created: String?
        public var createdBy: String?
        public var comment: String?
        public var emptyLayer: Bool?
        enum CodingKeys: String, CodingKey {
            case created, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }
    }

    public var architecture: String
    public var os: String
    public var variant: String?
    public var created: String?
    public var rootfs: RootFS
    public var history: [History]?

    /// The platform the config says the image is built for.
    public var platform: Platform { Platform(os: os, architecture: architecture, variant: variant) }

    /// Decodes config bytes, refusing duplicate keys (parsers would disagree on which counts).
    /// - Throws: ``ManifestDecodingError`` saying where the document is wrong.
    public static func decode(_ bytes: some Collection<UInt8>) throws(ManifestDecodingError) -> ImageConfig {
        do {
            try StrictJSON.check(bytes)
            return try JSONDecoder().decode(ImageConfig.self, from: Data(bytes))
        } catch {
            throw ManifestDecodingError(reason: "the image config is not valid: \(describe(error))")
        }
    }
}

/// What a manifest document turned out to be.
public enum ManifestDocument: Sendable, Hashable {
    case index(Index)
    case image(Manifest)

    /// Decodes manifest bytes, deciding the kind from the `mediaType` field or, when the
    /// document omits it, from the content type the registry sent.
    /// - Throws: ``ManifestDecodingError`` for schema 1 manifests, content served as something
    ///   other than a manifest (`text/html`), unknown types, duplicate keys, sizes out of range
    ///   and bad JSON.
    public static func decode(_ bytes: some Collection<UInt8>, contentType: String?) throws(ManifestDecodingError)
        -> ManifestDocument
    {
        let served = contentType.flatMap(MediaType.essence(ofContentType:))
        if let served, served == MediaType.dockerManifestV1Signed || served == "application/vnd.docker.distribution.manifest.v1+json" {
            throw ManifestDecodingError(
                reason: "Docker schema 1 manifests are not supported; push the image again with a current tool")
        }
        if let served, !MediaType.acceptedManifests.contains(served), !MediaType.neutralContentTypes.contains(served) {
            throw ManifestDecodingError(
                reason: "it was served as '\(served.escapingControlCharacters())', which is not a manifest media type")
        }
        do {
            try StrictJSON.check(bytes)
        } catch {
            throw ManifestDecodingError(reason: "it is not a valid manifest document: \(error)")
        }
        let data = Data(bytes)
        let decoder = JSONDecoder()
        let probe: ManifestProbe
        do {
            probe = try decoder.decode(ManifestProbe.self, from: data)
        } catch {
            throw ManifestDecodingError(reason: "it is not a valid manifest document: \(describe(error))")
        }
        if probe.schemaVersion == 1 {
            throw ManifestDecodingError(
                reason: "Docker schema 1 manifests are not supported; push the image again with a current tool")
        }
        if let declared = probe.mediaType, !MediaType.acceptedManifests.contains(declared) {
            throw ManifestDecodingError(
                reason: "its mediaType '\(declared.escapingControlCharacters())' is not a manifest media type")
        }
        let type = probe.mediaType ?? served
        do {
            switch type {
            case let type? where MediaType.isIndex(type):
                return .index(try decoder.decode(Index.self, from: data))
            case let type? where MediaType.isImageManifest(type):
                return .image(try decoder.decode(Manifest.self, from: data))
            default:
                // An OCI document may omit mediaType: decide by shape.
                if probe.manifests != nil { return .index(try decoder.decode(Index.self, from: data)) }
                if probe.config != nil { return .image(try decoder.decode(Manifest.self, from: data)) }
                throw ManifestDecodingError(
                    reason: "unsupported media type '\((type ?? "none").escapingControlCharacters())'")
            }
        } catch let error as ManifestDecodingError {
            throw error
        } catch {
            throw ManifestDecodingError(reason: "it is not a valid manifest document: \(describe(error))")
        }
    }
}

/// A decoding error in a few words, with where it happened: `layers[2].size: the size -1 of … is negative`.
func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return String(describing: error) }
    let context: DecodingError.Context
    switch error {
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
    case .keyNotFound(let key, let c):
        return path(c.codingPath + [key]) + ": this required key is missing"
    @unknown default: return String(describing: error)
    }
    let underlying = (context.underlyingError.map { " (\($0))" } ?? "")
    return path(context.codingPath) + ": " + context.debugDescription.escapingControlCharacters() + underlying
}

private func path(_ codingPath: [any CodingKey]) -> String {
    var text = ""
    for key in codingPath {
        if let index = key.intValue { text += "[\(index)]" } else { text = StrictJSON.keyPath(text, key: key.stringValue) }
    }
    return text.isEmpty ? "(top level)" : text
}

/// Just enough of a manifest document to tell what it is.
private struct ManifestProbe: Decodable {
    var schemaVersion: Int?
    var mediaType: String?
    var manifests: [Descriptor]?
    var config: Descriptor?
}

/// Manifest bytes that are not a usable manifest.
public struct ManifestDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
