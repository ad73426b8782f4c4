import DockerEngineClient
import Foundation
import LayoutStore
import OCIModel

/// A declared image as the Docker daemon sees it (`images ls --engine`).
public struct EngineListing: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// The daemon has it under the declared tag with the cached image ID.
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
    /// The image ID the cache says it should be; nil when not cached.
    public var expectedID: String?
    /// The image ID the daemon has; nil when missing.
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
            var expected: String?
            if let digest = lock?.entry(for: image)?.platforms[platform.description], store.hasBlob(digest),
                case .image(let cached) = try ManifestDocument.decode(store.readBlob(digest), contentType: nil)
            {
                expected = cached.config.digest.description
            }
            let name = image.reference.dockerTag ?? expected
            let present = name.flatMap { inEngine[$0] }
            let status: EngineListing.Status =
                switch (present, expected) {
                case (nil, _): .missing
                case (_?, nil): .unknown
                case let (present?, expected?): present.id == expected ? .present : .stale
                }
            listings.append(
                EngineListing(
                    reference: image.reference.description, tag: image.reference.dockerTag, platform: platform.description,
                    expectedID: expected, daemonID: present?.id, status: status, size: present?.size))
        }
        return listings
    }

    /// `images inspect REF --engine`: the daemon's view of an image, `{"image": …, "history": …}`.
    public func inspectInEngine(_ text: String) async throws -> Data {
        let reference = try Reference(parsing: text)
        let name = reference.dockerTag ?? reference.description
        guard let (image, history) = try await engine().inspectJSON(name) else {
            throw EngineError.noSuchImage(name)
        }
        let combined: [String: Any] = [
            "image": try JSONSerialization.jsonObject(with: image),
            "history": try JSONSerialization.jsonObject(with: history),
        ]
        return try JSONSerialization.data(
            withJSONObject: combined, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
