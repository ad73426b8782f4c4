import Foundation
import Logging
// The values of the API (Reference, Digest, Platform, Manifest, ImageConfig) and the cache's
// verification report: callers need no import of the modules behind them.
@_exported import OCIModel
@_exported import struct LayoutStore.CacheProblem
@_exported import struct LayoutStore.VerifyReport

/// The entry point for programs and tests that need container images ready before they start:
/// a Swift package's integration tests that need `postgres:16` in the local engine, pinned,
/// cached, and without the network in CI.
///
/// ```swift
/// let ready = try await Images.prepare(["postgres:16"], manifest: "images.json")
/// // docker run … ready[0].name
/// ```
///
/// The images must be declared in the manifest and pinned by its lock (`images.lock.json`,
/// written by `images lock`); nothing here changes the lock. The command-line tool and the
/// plugin share the cache (`SWIFT_IMAGES_CACHE`, else `$XDG_CACHE_HOME/swift-images`, else
/// `~/.cache/swift-images`), so an image `images pull` fetched, or a CI cache restored, costs no
/// request at all.
public enum Images {
    /// Makes sure each of `references` is in the cache as the lock pins it, fetching only what is
    /// missing, and then, with `load`, in the engine (Docker or Podman, found as Docker's CLI
    /// finds it: `DOCKER_HOST`, `DOCKER_CONTEXT`, the default socket).
    ///
    /// - Parameters:
    ///   - references: images as `images.json` declares them (`postgres:16`); empty means every
    ///     declared image.
    ///   - manifest: the path of `images.json`.
    ///   - load: also put the images into the engine, skipping those it already has.
    ///   - cache: the cache directory; nil for the one the tool uses.
    ///   - environment: where the engine, the cache and credentials are looked up.
    /// - Returns: one ``PreparedImage`` per image, in the order asked for.
    /// - Throws: ``ManifestError`` (no manifest, or an image it does not declare),
    ///   ``ImagesError/lockMissing(path:)`` or ``ImagesError/lockOutdated(path:images:)`` (the
    ///   lock does not pin them), ``ImagesError/imagesFailed(_:)`` (an image could not be
    ///   fetched), and the registry's and the engine's errors.
    public static func prepare(
        _ references: [String] = [],
        manifest: String,
        load: Bool = true,
        cache: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> [PreparedImage] {
        let workspace = try Workspace(manifestPath: manifest, cachePath: cache, environment: environment)
        return try await workspace.use { workspace in
            let pulled = try await workspace.pull(filters: references, locked: true).images
            guard load else { return pulled.map { PreparedImage(pulled: $0) } }
            return try await workspace.load(filters: references).map { PreparedImage(loaded: $0) }
        }
    }
}

/// An image ready for use: in the cache, and in the engine when it was loaded.
public struct PreparedImage: Sendable, Hashable {
    /// The declared image's full reference (`docker.io/library/postgres:16`).
    public var reference: String
    /// The platform prepared (`linux/amd64`).
    public var platform: String
    /// The digest of that platform's manifest, as the lock pins it.
    public var digest: Digest
    /// The name to give the engine (`docker run NAME`): the declared tag, as Docker writes it
    /// (`postgres:16`); for an image declared by digest only, the engine's ID for it (see
    /// ``LoadedImage/imageID``). Nil when the image was not loaded.
    public var name: String?

    init(pulled: PulledImage) {
        reference = pulled.reference
        platform = pulled.platform
        digest = pulled.digest
        name = nil
    }

    init(loaded: LoadedImage) {
        reference = loaded.reference
        platform = loaded.platform
        digest = loaded.digest
        name = loaded.tag ?? loaded.imageID
    }
}
