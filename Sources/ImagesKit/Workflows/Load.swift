import DockerEngineClient
import Foundation
import LayoutStore
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
    /// `sha256:` and the config digest, as the classic store names images.
    public var imageID: String
    public var status: Status
    /// Compressed bytes sent to the daemon (0 when present).
    public var sentBytes: Int64

    /// Whether a daemon's image ID is this image: the classic store names an image by its
    /// config digest, the containerd store by its manifest digest.
    func isNamed(by id: String) -> Bool {
        id == imageID || id == digest.description
    }
}

/// Loads cached images into the Docker daemon: one tar, built on the fly from the cache and
/// streamed to `POST /images/load`, holding every image the daemon does not have yet.
public struct LoadWorkflow: Sendable {
    public let engine: DockerEngineClient
    public let store: LayoutStore

    public init(engine: DockerEngineClient, store: LayoutStore) {
        self.engine = engine
        self.store = store
    }

    /// Loads `images` as pinned by `lock`; each in the declared platform that matches the host,
    /// else its first declared platform.
    /// - Parameter jobs: how many tars go to the daemon at once (see ``split(_:into:)``); 1 sends
    ///   a single tar.
    /// - Throws: ``ImagesError/notInCache(reference:cache:)`` when the cache lacks an image
    ///   (pull first), ``EngineError`` for the daemon's refusals.
    public func run(images: [DeclaredImage], lock: Lockfile, jobs: Int = 1) async throws -> [LoadedImage] {
        var archive: [ArchiveImage] = []
        var results: [LoadedImage] = []
        var used: [String] = []
        for image in images {
            let entry = try lock.pinnedEntry(for: image)
            let platform = image.enginePlatform
            used.append(LayoutStore.imageKey(image.reference, platform))
            guard let manifestDigest = entry.platforms[platform.description], store.hasBlob(manifestDigest),
                case let manifestBytes = try store.readBlob(manifestDigest),
                case .image(let manifest) = try ManifestDocument.decode(manifestBytes, contentType: nil),
                manifest.blobs.allSatisfy({ store.hasBlob($0.digest) })
            else {
                throw ImagesError.notInCache(reference: "\(image.written) \(platform)", cache: store.root)
            }
            let imageID = manifest.config.digest.description
            let tag = image.reference.dockerTag
            var result = LoadedImage(
                reference: image.reference.description, tag: tag, platform: platform.description,
                digest: manifestDigest, imageID: imageID, status: .present, sentBytes: 0)
            if let present = try await engine.image(tag ?? imageID), result.isNamed(by: present.id) {
                results.append(result)
                continue
            }
            var descriptor = Descriptor(
                mediaType: manifest.mediaType ?? MediaType.ociManifest, digest: manifestDigest,
                size: Int64(manifestBytes.count))
            descriptor.platform = platform
            archive.append(
                ArchiveImage(
                    reference: image.reference, tag: tag, manifest: descriptor, config: manifest.config, layers: manifest.layers))
            result.status = .loaded
            result.sentBytes = manifest.blobs.reduce(0) { $0 + $1.size }
            results.append(result)
        }
        if !archive.isEmpty {
            let store = self.store
            let engine = self.engine
            let outcomes = await withTaskGroup(of: Result<[String], any Error>.self) { group in
                for part in Self.split(archive, into: jobs) {
                    group.addTask {
                        await Result {
                            try await engine.load(
                                try store.archive(of: part), images: part.map { $0.tag ?? $0.reference.description })
                        }
                    }
                }
                var outcomes: [Result<[String], any Error>] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            for case .failure(let error) in outcomes { throw error }
            for result in results where result.status == .loaded {
                let loaded = try await engine.image(result.tag ?? result.imageID)
                guard let loaded, result.isNamed(by: loaded.id) else {
                    throw EngineError.loadFailed(
                        images: [result.tag ?? result.reference],
                        message:
                            "after loading, the daemon has \(loaded?.id ?? "no image") under that name instead of \(result.imageID)"
                    )
                }
            }
        }
        try await store.markUsed(used)
        return results
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
