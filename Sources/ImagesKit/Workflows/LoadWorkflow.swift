import DockerEngineClient
import Foundation
import LayoutRegistry
import LayoutStore
import Logging
import OCIModel

/// The outcome of loading one image into the Docker daemon.
public struct LoadedImage: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// Loaded from the cache now.
        case loaded
        /// The daemon already had this image ID under this tag: nothing was sent.
        case present
    }

    public var reference: String
    /// The name the daemon knows it by (`postgres:16`), nil for a digest-only reference.
    public var tag: String?
    public var platform: String
    /// The image manifest digest.
    public var digest: Digest
    /// The engine's ID for the image, the name that always finds it there (`docker run ID`):
    /// the config digest in Docker's classic store and Podman, the digest of the manifest (or of
    /// the index it came in) in the containerd image store.
    public var imageID: String
    public var status: Status
    /// Compressed bytes of the image's blobs offered to the daemon (0 when present); a daemon
    /// pulling from the cache skips the layers it already has.
    public var sentBytes: Int64
    /// How the image went into the daemon; nil when it was present.
    public var method: LoadMethod?
}

/// How images go from the cache into the Docker daemon.
public enum LoadMethod: String, Sendable, Codable, CaseIterable {
    /// The daemon pulls them from the cache, served as a read-only registry on a loopback port
    /// (`LayoutRegistry`); then they are tagged as declared. Only for a daemon on this
    /// machine, and only for images with a tag.
    case registry
    /// Tars built on the fly from the cache, streamed to `POST /images/load`.
    case archive
}

/// Loads cached images into the Docker daemon, skipping those it already has.
///
/// By default the daemon pulls them from the cache served on loopback, which is what its pull
/// path is fastest at (layers fetched concurrently and unpacked as they arrive); an image that
/// cannot go that way (a daemon in a VM cannot reach our loopback, an image declared by digest
/// only has no tag to give it) goes in a tar to `POST /images/load` instead.
package struct LoadWorkflow: Sendable {
    package let engine: DockerEngineClient
    package let store: LayoutStore
    package let logger: Logger

    package init(engine: DockerEngineClient, store: LayoutStore, logger: Logger = Logger(label: "swift-images")) {
        self.engine = engine
        self.store = store
        self.logger = logger
    }

    /// Loads `images` as pinned by `lock`; each in the declared platform that matches the host,
    /// else its first declared platform.
    /// - Parameters:
    ///   - jobs: how many pulls, or tars (see ``split(_:into:)``), go to the daemon at once.
    ///   - method: nil tries ``LoadMethod/registry`` and falls back to ``LoadMethod/archive``
    ///     image by image; a method given is the only one used.
    /// - Throws: ``ImagesError/notInCache(reference:cache:)`` when the cache lacks an image
    ///   (pull first), ``EngineError`` for the daemon's refusals.
    package func run(images: [DeclaredImage], lock: Lockfile, jobs: Int = 1, method: LoadMethod? = nil) async throws
        -> [LoadedImage]
    {
        var archive: [ArchiveImage] = []
        var results: [LoadedImage] = []
        var identities: [EngineIdentity] = []
        var used: [String] = []
        let present = try await engine.imagesByName()
        for image in images {
            let entry = try lock.pinnedEntry(for: image)
            let platform = image.enginePlatform
            used.append(LayoutStore.imageKey(image.reference, platform))
            guard let manifestDigest = entry.platforms[platform.description],
                let manifestSize = store.cachedSize(of: manifestDigest),
                case let manifest = try store.imageManifest(manifestDigest),
                manifest.blobs.allSatisfy({ store.hasBlob($0.digest) })
            else {
                throw ImagesError.notInCache(reference: "\(image.written) \(platform)", cache: store.root)
            }
            let identity = EngineIdentity(
                config: manifest.config.digest, manifest: manifestDigest, index: MediaType.isIndex(entry.mediaType) ? entry.digest : nil)
            let tag = image.reference.dockerTag
            var result = LoadedImage(
                reference: image.reference.description, tag: tag, platform: platform.description,
                // The ID until the engine says its own (present: below; loaded: after the load).
                digest: manifestDigest, imageID: manifest.config.digest.description, status: .present, sentBytes: 0)
            identities.append(identity)
            if let found = identity.image(in: present, tag: tag) {
                result.imageID = found.id
                results.append(result)
                continue
            }
            var descriptor = Descriptor(
                mediaType: manifest.mediaType ?? MediaType.ociManifest, digest: manifestDigest,
                size: manifestSize)
            descriptor.platform = platform
            archive.append(
                ArchiveImage(
                    reference: image.reference, tag: tag, manifest: descriptor, config: manifest.config, layers: manifest.layers))
            result.status = .loaded
            result.sentBytes = manifest.blobs.reduce(0) { $0 + $1.size }
            results.append(result)
        }
        if !archive.isEmpty {
            var viaArchive = archive
            if method != .archive {
                let pulled = try await pullFromCache(archive.filter { $0.tag != nil }, jobs: jobs, fallback: method == nil)
                viaArchive.removeAll { pulled.contains($0.manifest.digest) }
                for index in results.indices where pulled.contains(results[index].digest) {
                    results[index].method = .registry
                }
            }
            try await loadArchives(viaArchive, jobs: jobs)
            for index in results.indices where results[index].status == .loaded && results[index].method == nil {
                results[index].method = .archive
            }
            let loaded = try await engine.imagesByName()
            for (index, identity) in zip(results.indices, identities) where results[index].status == .loaded {
                if let image = identity.image(in: loaded, tag: results[index].tag) {
                    results[index].imageID = image.id
                    continue
                }
                let found = results[index].tag.flatMap { loaded[$0]?.id }
                let engine = await engine.name()
                throw EngineError.loadFailed(
                    engine: engine, images: [results[index].tag ?? results[index].reference],
                    message: "after loading, \(engine) has \(found ?? "no image") under that name instead of \(identity.ids.joined(separator: " or "))")
            }
        }
        try await store.markUsed(used)
        return results
    }
}

extension LoadWorkflow {
    /// Has the daemon pull `images` (those with a tag) from the cache, served on loopback while
    /// it does, then gives each its declared tag and drops the temporary loopback name.
    /// - Parameter fallback: whether an image the daemon could not pull is left for the caller
    ///   to load another way (logged), rather than thrown.
    /// - Returns: the manifest digests of the images now in the daemon.
    func pullFromCache(_ images: [ArchiveImage], jobs: Int, fallback: Bool) async throws -> Set<Digest> {
        guard !images.isEmpty, engine.isOnThisMachine else { return [] }
        let registry = LayoutRegistry(store: store, serving: images.flatMap { [$0.manifest, $0.config] + $0.layers })
        let engine = self.engine
        let tagged = images.filter { $0.tag != nil }
        // Docker fetches a layer once however many of its pulls need it; Podman fetches it again
        // for each, so images that share layers go one after another there (as `split` groups
        // them for tars), the groups side by side.
        let groups = try await engine.info().isPodman ? Self.split(tagged, into: jobs) : tagged.map { [$0] }
        let outcomes = try await registry.withServer { address in
            await SlidingWindow.map(groups, width: jobs) { group in
                var outcomes: [Result<Void, any Error>] = []
                for image in group {
                    outcomes.append(
                        await Result {
                            guard let tag = image.tag else { return }
                            let loopbackName = "\(address)/\(image.reference.repository)@\(image.manifest.digest)"
                            try await engine.pull(loopbackName, plainHTTP: true)
                            let tagging = await Result { try await engine.tag(loopbackName, as: tag) }
                            // The loopback name goes whether the tag took or not (then the image
                            // goes with it, and the caller sends it in a tar): none is left behind.
                            _ = try? await engine.removeImage(loopbackName)
                            try tagging.get()
                        })
                }
                return outcomes
            }
        }
        var pulled: Set<Digest> = []
        let results = zip(groups, outcomes).flatMap { group, outcome in
            // A group's own work never throws: each image carries its outcome.
            zip(group, (try? outcome.get()) ?? [])
        }
        for (image, outcome) in results {
            guard let tag = image.tag else { continue }
            switch outcome {
            case .success:
                pulled.insert(image.manifest.digest)
            case .failure(let error):
                var reason = "\(error)"
                if case EngineError.pullFailed(_, _, let message) = error { reason = message }
                let engine = await engine.name()
                guard fallback else {
                    throw EngineError.pullFailed(engine: engine, image: "\(tag) from the cache on loopback", message: reason)
                }
                logger.notice("\(engine) could not pull \(tag) from the cache on loopback (\(reason)); sending it in a tar")
            }
        }
        return pulled
    }

    /// Streams `images` to `POST /images/load` in up to `jobs` tars at once.
    func loadArchives(_ images: [ArchiveImage], jobs: Int) async throws {
        guard !images.isEmpty else { return }
        let store = self.store
        let engine = self.engine
        let parts = Self.split(images, into: jobs)
        let outcomes = await SlidingWindow.map(parts, width: parts.count) { part in
            try await engine.load(try store.archive(of: part), images: part.map { $0.tag ?? $0.reference.description })
        }
        for case .failure(let error) in outcomes { throw error }
    }
}

extension LoadWorkflow {
    /// Splits images into at most `count` groups for concurrent loads: images that share a
    /// layer stay together (so that no layer is sent twice), and the groups are balanced by
    /// size, largest first.
    static func split(_ images: [ArchiveImage], into count: Int) -> [[ArchiveImage]] {
        // Images sharing a layer, transitively, form one family.
        var family = Array(images.indices)
        func root(_ index: Int) -> Int {
            var index = index
            while family[index] != index { index = family[index] }
            return index
        }
        var owner: [Digest: Int] = [:]
        for (index, image) in images.enumerated() {
            for layer in image.layers {
                if let other = owner[layer.digest] { family[root(index)] = root(other) } else { owner[layer.digest] = index }
            }
        }
        let families = Dictionary(grouping: images.indices, by: root).values.map { $0.map { images[$0] } }
        var groups = [[ArchiveImage]](repeating: [], count: max(1, min(count, families.count)))
        var sizes = [Int64](repeating: 0, count: groups.count)
        for members in families.sorted(by: { $0.reduce(0) { $0 + $1.size } > $1.reduce(0) { $0 + $1.size } }) {
            let smallest = sizes.indices.min { sizes[$0] < sizes[$1] }!
            groups[smallest] += members
            sizes[smallest] += members.reduce(0) { $0 + $1.size }
        }
        return groups
    }
}

extension DeclaredImage {
    /// The platform that goes into the Docker daemon: the declared one matching the host, else
    /// the first declared.
    public var enginePlatform: Platform {
        platforms.first { $0.matches(.host) } ?? platforms[0]
    }
}
