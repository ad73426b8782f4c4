import DockerEngineClient
import Foundation
import LayoutStore
import OCIModel

/// One platform of a cached image, as `images inspect` shows it.
public struct InspectedImage: Sendable, Codable, Equatable {
    public var reference: String
    public var platform: String
    public var digest: Digest
    public var manifest: Manifest
    public var config: ImageConfig
}

/// `images inspect`: an image's manifest, config and layers from the cache, or (`--engine`) the
/// engine's own view of it.
struct InspectWorkflow {
    let store: LayoutStore

    /// Each cached platform of the image `text` names.
    /// - Throws: ``ImagesError/notInCache(reference:cache:)`` for a declared image not cached,
    ///   ``ImagesError/noSuchImage(_:cache:engineToo:similar:)`` for anything else.
    func cached(_ text: String, declared: [DeclaredImage]) throws -> [InspectedImage] {
        let reference = try Reference(parsing: text)
        let index = try store.index().manifests
        let entries = index.filter { $0.annotations?[LayoutStore.refNameAnnotation] == reference.description }
        guard !entries.isEmpty else {
            let declared = declared.map(\.reference.description)
            if declared.contains(reference.description) {
                throw ImagesError.notInCache(reference: reference.description, cache: store.root)
            }
            let cached = index.compactMap { $0.annotations?[LayoutStore.refNameAnnotation] }
            throw ImagesError.noSuchImage(
                text, cache: store.root, engineToo: false, similar: Reference.likelyMeant(by: text, among: cached + declared))
        }
        return try entries.map { entry in
            let manifest = try store.imageManifest(entry.digest)
            let config = try ImageConfig.decode(store.readBlob(manifest.config.digest))
            return InspectedImage(
                reference: reference.description,
                platform: entry.platform?.description ?? config.platform.description,
                digest: entry.digest,
                manifest: manifest,
                config: config
            )
        }
    }

    /// The engine's view of an image, `{"image": …, "history": …}`, as it gives them.
    static func inEngine(_ text: String, engine: DockerEngineClient) async throws -> Data {
        let reference = try Reference(parsing: text)
        let name = reference.dockerTag ?? reference.description
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
