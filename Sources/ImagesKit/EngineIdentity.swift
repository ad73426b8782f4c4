import DockerEngineClient
import OCIModel

/// The IDs an engine may give an image the cache holds. Docker's classic store names an image by
/// its config digest; the containerd image store (Docker 29's default) by the digest of what it
/// was pulled or loaded as: the image manifest, or the multi-platform index.
struct EngineIdentity: Sendable, Equatable {
    var config: Digest
    var manifest: Digest
    var index: Digest?

    /// Every ID the image may have in an engine.
    var ids: [String] { [config, manifest, index].compactMap { $0?.description } }

    func isNamed(by id: String) -> Bool { ids.contains(id) }

    /// The engine's image under `tag` when it is this image, else (no tag) the image under
    /// any of its IDs; `images` as ``DockerEngineClient/imagesByName()`` gives them.
    func image(in images: [String: EngineImageSummary], tag: String?) -> EngineImageSummary? {
        if let tag { return images[tag].flatMap { isNamed(by: $0.id) ? $0 : nil } }
        return ids.lazy.compactMap { images[$0] }.first
    }
}
