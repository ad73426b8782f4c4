import DockerEngineClient
import LayoutStore
import OCIModel

/// An image in the cache, as `images ls` shows it.
public struct CachedImage: Sendable, Codable, Equatable {
    public var reference: String
    public var platform: String
    public var digest: Digest
    /// Compressed size (config and layers); nil when the manifest is not readable.
    public var size: Int64?
    /// Whether the project's manifest declares it.
    public var declared: Bool
}

/// A declared image as the Docker daemon sees it (`images ls --engine`).
public struct EngineListing: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// The daemon has it under the declared tag: its ID is the cached image's config digest
        /// (Docker's classic store), manifest or index digest (the containerd image store).
        case present
        /// The daemon has nothing under that tag.
        case missing
        /// The daemon has another image ID under that tag.
        case stale
        /// The daemon has the tag, and the cache cannot tell which ID it should be (pull first).
        case unknown
    }

    public var reference: String
    public var tag: String?
    public var platform: String
    /// The cached image's ID as Docker's classic store gives it (its config digest); nil when not cached.
    public var expectedID: String?
    /// The image ID the daemon has (the containerd store's is a manifest or index digest); nil when missing.
    public var daemonID: String?
    public var status: Status
    /// The daemon's size of the image.
    public var size: Int64?
}

/// `images ls`: what the cache holds, and (`--engine`) the declared images as the engine sees them.
struct ListWorkflow {
    let store: LayoutStore

    /// Every image the cache's `index.json` names, one per platform.
    func cached(declared: [DeclaredImage]) throws -> [CachedImage] {
        let declared = Set(declared.map(\.reference.description))
        return try store.index().manifests.compactMap { entry -> CachedImage? in
            guard let name = entry.annotations?[LayoutStore.refNameAnnotation] else { return nil }
            let manifest = try? store.imageManifest(entry.digest)
            return CachedImage(
                reference: name,
                platform: entry.platform?.description ?? "",
                digest: entry.digest,
                size: manifest.map { $0.blobs.reduce(0) { $0 + $1.size } },
                declared: declared.contains(name)
            )
        }
    }

    /// Every declared image, present, missing or stale in `engine`.
    func inEngine(_ engine: DockerEngineClient, declared: [DeclaredImage], lock: Lockfile?) async throws -> [EngineListing] {
        let inEngine = try await engine.imagesByName()
        var listings: [EngineListing] = []
        for image in declared {
            let platform = image.enginePlatform
            var identity: EngineIdentity?
            if let entry = lock?.entry(for: image), let digest = entry.platforms[platform.description], store.hasBlob(digest),
                case let cached = try store.imageManifest(digest)
            {
                identity = EngineIdentity(
                    config: cached.config.digest, manifest: digest, index: MediaType.isIndex(entry.mediaType) ? entry.digest : nil)
            }
            let tag = image.reference.dockerTag
            let present = tag.map { inEngine[$0] } ?? identity?.image(in: inEngine, tag: nil)
            let status: EngineListing.Status =
                switch (present, identity) {
                case (nil, _): .missing
                case (_?, nil): .unknown
                case let (present?, identity?): identity.isNamed(by: present.id) ? .present : .stale
                }
            listings.append(
                EngineListing(
                    reference: image.reference.description, tag: tag, platform: platform.description,
                    expectedID: identity?.config.description, daemonID: present?.id, status: status, size: present?.size))
        }
        return listings
    }
}
