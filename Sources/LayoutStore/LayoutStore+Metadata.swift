import Foundation
import OCIModel

/// What the cache knows beyond the OCI layout: when each image was last used, the sizes of
/// layers measured by decompressing them, and where pushes put blobs. Lives in `.swift-images/metadata.json`, replaced
/// atomically under the cache lock.
public struct CacheMetadata: Codable, Sendable, Equatable {
    public struct ImageRecord: Codable, Sendable, Equatable {
        /// When the image was last pulled, locked or loaded by this tool.
        public var lastUsed: Date
    }

    public var version = 1
    /// Keyed by ``LayoutStore/imageKey(_:_:)``.
    public var images: [String: ImageRecord] = [:]
    /// Keyed by the layer's (compressed) digest.
    public var layers: [String: LayerSizes] = [:]
    /// Per registry pushed to, per blob digest, a repository there that holds the blob (the
    /// latest one it was pushed to): a later push to another repository mounts it from there.
    public var blobLocations: [String: [String: String]] = [:]

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        images = try container.decodeIfPresent([String: ImageRecord].self, forKey: .images) ?? [:]
        layers = try container.decodeIfPresent([String: LayerSizes].self, forKey: .layers) ?? [:]
        blobLocations = try container.decodeIfPresent([String: [String: String]].self, forKey: .blobLocations) ?? [:]
    }
}

extension LayoutStore {
    var metadataPath: String { privateDirectory + "/metadata.json" }

    /// The key of an image in the metadata: canonical reference and platform.
    public static func imageKey(_ reference: Reference, _ platform: Platform) -> String {
        "\(reference) \(platform)"
    }

    /// The metadata as it is now (empty when none was written yet).
    /// - Throws: ``LayoutError/unreadable(path:reason:)`` when it is not a regular file, larger
    ///   than 256 MiB, or not valid metadata (duplicate keys included).
    public func metadata() throws -> CacheMetadata {
        guard FileManager.default.fileExists(atPath: metadataPath) else { return CacheMetadata() }
        let bytes = try Self.readFile(atPath: metadataPath, limit: 256 * 1024 * 1024)
        do {
            try StrictJSON.check(bytes)
            return try Self.metadataDecoder.decode(CacheMetadata.self, from: Data(bytes))
        } catch {
            throw LayoutError.unreadable(path: metadataPath, reason: "it is not valid metadata: \(error)")
        }
    }

    /// Records that images were used now.
    public func markUsed(_ keys: [String], at date: Date = Date()) async throws {
        guard !keys.isEmpty else { return }
        try await updateMetadata { metadata in
            for key in keys { metadata.images[key] = .init(lastUsed: date) }
        }
    }

    /// Records that `registry` holds each digest's blob in the repository given.
    public func recordBlobLocations(_ locations: [Digest: String], in registry: String) async throws {
        guard !locations.isEmpty else { return }
        try await updateMetadata { metadata in
            for (digest, repository) in locations {
                metadata.blobLocations[registry, default: [:]][digest.description] = repository
            }
        }
    }

    /// Reads, changes and replaces the metadata under the cache lock (unreadable metadata
    /// starts again empty: it is only a record of what can be measured again).
    func updateMetadata(_ change: (inout CacheMetadata) -> Void) async throws {
        try await lock.withLock {
            var metadata = (try? self.metadata()) ?? CacheMetadata()
            change(&metadata)
            try writeMetadata(metadata)
        }
    }

    /// Replaces the metadata file; the caller holds the cache lock.
    func writeMetadata(_ metadata: CacheMetadata) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try writeAtomically(Array(try encoder.encode(metadata)), to: metadataPath)
    }

    private static var metadataDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
