import Foundation
import OCIModel

/// One layer of an image in the daemon, as the daemon stores and shares it.
public struct EngineLayer: Sendable, Hashable {
    /// The layer together with every layer below it: two images share this layer only if they
    /// share all of those too (the daemon's chain ID).
    public var chainID: String
    /// The bytes its files take, as `docker history` and `docker system df` count them; nil
    /// when the image's history does not account for its layers.
    public var size: Int64?
}

extension DockerEngineClient {
    /// The layers of an image, bottom first, with their sizes; nil when the daemon has no such
    /// image.
    ///
    /// `docker history` gives sizes per history entry and does not say which entries made no
    /// layer. Entries with a size did; of the others, as many as needed to make up the layer
    /// count, and those are told apart by `emptyLayers` (the config's `history[].empty_layer`)
    /// when the caller has the image's config. Without it the latest candidates are taken, which
    /// can only misplace layers whose files take no bytes.
    public func layers(of image: String, emptyLayers: [Bool]? = nil) async throws -> [EngineLayer]? {
        struct Inspect: Decodable {
            struct RootFS: Decodable { var layers: [String]? }
            var rootFS: RootFS?
        }
        struct HistoryEntry: Decodable { var size: Int64 }
        guard let inspect = try await json(Inspect.self, "/images/\(image)/json", what: "inspect image \(image)"),
            let history = try await json([HistoryEntry].self, "/images/\(image)/history", what: "history of image \(image)")
        else { return nil }
        let diffIDs = inspect.rootFS?.layers ?? []
        // The daemon lists history newest first.
        let sizes = Self.layerSizes(
            historySizes: history.reversed().map(\.size), layerCount: diffIDs.count, emptyLayers: emptyLayers)
        return Self.chainIDs(diffIDs).enumerated().map { EngineLayer(chainID: $1, size: sizes?[$0]) }
    }

    /// The chain IDs of layers with these diff IDs, bottom first: the first is its diff ID, each
    /// next one `sha256(previous + " " + diffID)`.
    public static func chainIDs(_ diffIDs: [String]) -> [String] {
        var chain: [String] = []
        for diffID in diffIDs {
            guard let below = chain.last else {
                chain.append(diffID)
                continue
            }
            chain.append(SHA256.digest(of: (below + " " + diffID).utf8).description)
        }
        return chain
    }

    /// Which history entries (oldest first) made the image's layers, and so each layer's size.
    /// - Parameters:
    ///   - historySizes: each history entry's size, oldest first.
    ///   - emptyLayers: the config's flags for the same entries, when known and as many.
    /// - Returns: the size of each layer, bottom first; nil when the entries cannot account for
    ///   exactly `layerCount` layers.
    static func layerSizes(historySizes: [Int64], layerCount: Int, emptyLayers: [Bool]?) -> [Int64]? {
        if let emptyLayers, emptyLayers.count == historySizes.count {
            let sizes = zip(historySizes, emptyLayers).filter { !$0.1 }.map(\.0)
            return sizes.count == layerCount ? sizes : nil
        }
        var sizes: [Int64] = []
        for (index, size) in historySizes.enumerated() {
            let needed = layerCount - sizes.count
            let entriesAfter = historySizes.count - index - 1
            if size > 0 || entriesAfter < needed { sizes.append(size) }
        }
        return sizes.count == layerCount ? sizes : nil
    }
}
