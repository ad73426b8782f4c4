import DockerEngineClient
import Foundation
import LayoutStore
import OCIModel

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

extension Workspace {
    /// `images ls --engine`: every declared image, present, missing or stale in the daemon.
    public func listInEngine() async throws -> [EngineListing] {
        let manifest = try requiredManifest
        let lock = try existingLock()
        let engine = try engine()
        let inEngine = try await engine.imagesByName()
        var listings: [EngineListing] = []
        for image in manifest.images {
            let platform = image.enginePlatform
            var identity: EngineIdentity?
            if let entry = lock?.entry(for: image), let digest = entry.platforms[platform.description], store.hasBlob(digest),
                case .image(let cached) = try ManifestDocument.decode(store.readBlob(digest), contentType: nil)
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

    /// `images inspect REF --engine`: the daemon's view of an image, `{"image": …, "history": …}`.
    public func inspectInEngine(_ text: String) async throws -> Data {
        let reference = try Reference(parsing: text)
        let name = reference.dockerTag ?? reference.description
        let engine = try engine()
        guard let (image, history) = try await engine.inspectJSON(name) else {
            throw EngineError.noSuchImage(engine: await engine.name(), image: name)
        }
        let combined: [String: Any] = [
            "image": try JSONSerialization.jsonObject(with: image),
            "history": try JSONSerialization.jsonObject(with: history),
        ]
        return try JSONSerialization.data(
            withJSONObject: combined, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
