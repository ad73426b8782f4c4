import Foundation
import OCIModel

/// What the cache knows beyond the OCI layout: when each image was last used. Lives in
/// `.swift-images/metadata.json`, replaced atomically under the cache lock.
public struct CacheMetadata: Codable, Sendable, Equatable {
    public struct ImageRecord: Codable, Sendable, Equatable {
        /// When the image was last pulled, locked or loaded by this tool.
        public var lastUsed: Date
    }

    public var version = 1
    /// Keyed by ``LayoutStore/imageKey(_:_:)``.
    public var images: [String: ImageRecord] = [:]
}

extension LayoutStore {
    var metadataPath: String { privateDirectory + "/metadata.json" }

    /// The key of an image in the metadata: canonical reference and platform.
    public static func imageKey(_ reference: Reference, _ platform: Platform) -> String {
        "\(reference) \(platform)"
    }

    /// The metadata as it is now (empty when none was written yet).
    public func metadata() throws -> CacheMetadata {
        guard let data = FileManager.default.contents(atPath: metadataPath) else { return CacheMetadata() }
        do {
            return try Self.metadataDecoder.decode(CacheMetadata.self, from: data)
        } catch {
            throw LayoutError.unreadable(path: metadataPath, reason: "it is not valid metadata: \(error)")
        }
    }

    /// Records that images were used now.
    public func markUsed(_ keys: [String], at date: Date = Date()) async throws {
        guard !keys.isEmpty else { return }
        try await lock.withLock {
            var metadata = (try? self.metadata()) ?? CacheMetadata()
            for key in keys { metadata.images[key] = .init(lastUsed: date) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            try writeAtomically(Array(try encoder.encode(metadata)), to: metadataPath)
        }
    }

    private static var metadataDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
