import Foundation
import LayoutStore
import OCIModel
import RegistryClient

/// Progress of a pull, as small events the CLI aggregates.
public enum PullEvent: Sendable {
    /// What will be downloaded: blobs and bytes not yet in the cache.
    case planned(images: Int, blobs: Int, bytes: Int64)
    /// More bytes of some blob arrived.
    case received(bytes: Int64)
    /// One image (one platform) is complete in the cache, or failed.
    case finished(PulledImage)
}

/// The outcome for one image and platform.
public struct PulledImage: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// Downloaded (some or all of its blobs) and recorded in the cache.
        case pulled
        /// Everything was already in the cache.
        case cached
        /// Could not be completed; see `error`.
        case failed
    }

    public var reference: String
    public var platform: String
    public var digest: Digest
    public var status: Status
    /// Blobs of the image (config and layers).
    public var blobs: Int
    /// Compressed size of the image (config and layers).
    public var size: Int64
    /// Bytes downloaded for this image (blobs shared with another image count for the first).
    public var fetchedBytes: Int64
    public var error: String?
}

/// Pulls locked images into the cache: manifests first, then every missing blob through one
/// bounded pool of downloads shared by all images (a sliding window, largest first), then an
/// `index.json` entry for each image whose blobs are all in.
public struct PullWorkflow: Sendable {
    /// nil means offline: nothing may be fetched.
    public let registry: RegistryClient?
    public let store: LayoutStore
    /// How many blobs download at once.
    public let jobs: Int
    public let progress: @Sendable (PullEvent) -> Void

    public init(registry: RegistryClient?, store: LayoutStore, jobs: Int, progress: @escaping @Sendable (PullEvent) -> Void = { _ in }) {
        self.registry = registry
        self.store = store
        self.jobs = max(1, jobs)
        self.progress = progress
    }

    /// One image and platform to pull.
    struct Target: Sendable {
        var image: DeclaredImage
        var platform: Platform
        var indexDigest: Digest?
        var manifestDigest: Digest
    }

    /// Pulls `images` as pinned by `lock`.
    /// - Returns: one result per image and platform, in manifest order.
    /// - Throws: ``ImagesError/notCached(_:)`` offline, ``ImagesError/imagesFailed(_:)`` when
    ///   some images failed (the others are complete in the cache).
    public func run(images: [DeclaredImage], lock: Lockfile) async throws -> [PulledImage] {
        store.removeStaleIngests()
        let targets = try images.flatMap { image -> [Target] in
            guard let entry = lock.entry(for: image), entry.pins(image) else {
                throw ImagesError.lockOutdated(path: Lockfile.fileName, images: [image.written])
            }
            return image.platforms.map { platform in
                Target(
                    image: image, platform: platform,
                    indexDigest: MediaType.isIndex(entry.mediaType) ? entry.digest : nil,
                    manifestDigest: entry.platforms[platform.description]!)
            }
        }

        // 1. Manifests: from the cache, or fetched and verified.
        var manifests: [Manifest?] = []
        var failures: [Int: any Error] = [:]
        var missingOffline: [String] = []
        for (position, target) in targets.enumerated() {
            do {
                manifests.append(try await manifest(for: target))
            } catch let error as ImagesError {
                if case .notCached(let what) = error { missingOffline += what } else { failures[position] = error }
                manifests.append(nil)
            } catch {
                failures[position] = error
                manifests.append(nil)
            }
        }

        // 2. Blobs: each missing digest once, whichever image needs it first.
        var needed: [Digest: (Descriptor, Reference)] = [:]
        for (target, manifest) in zip(targets, manifests) {
            for blob in manifest?.blobs ?? [] where needed[blob.digest] == nil && !store.hasBlob(blob.digest) {
                needed[blob.digest] = (blob, target.image.reference)
            }
        }
        if registry == nil, !needed.isEmpty {
            for (target, manifest) in zip(targets, manifests) {
                let absent = (manifest?.blobs ?? []).filter { needed[$0.digest] != nil }
                if !absent.isEmpty {
                    missingOffline.append("\(target.image.written) \(target.platform) (\(absent.count) blobs, first \(absent[0].digest))")
                }
            }
        }
        guard missingOffline.isEmpty else { throw ImagesError.notCached(missingOffline) }

        let queue = needed.values.sorted { $0.0.size > $1.0.size }
        progress(.planned(images: targets.count, blobs: queue.count, bytes: queue.reduce(0) { $0 + $1.0.size }))
        let blobFailures = await download(queue)

        // 3. Record every complete image; report the others.
        var results: [PulledImage] = []
        var entries: [Descriptor] = []
        var fetchedSoFar: Set<Digest> = []
        for (position, (target, manifest)) in zip(targets, manifests).enumerated() {
            let blobs = manifest?.blobs ?? []
            let fetched = blobs.filter { needed[$0.digest] != nil && blobFailures[$0.digest] == nil && !fetchedSoFar.contains($0.digest) }
            fetchedSoFar.formUnion(fetched.map(\.digest))
            var result = PulledImage(
                reference: target.image.reference.description,
                platform: target.platform.description,
                digest: target.manifestDigest,
                status: fetched.isEmpty ? .cached : .pulled,
                blobs: blobs.count,
                size: blobs.reduce(0) { $0 + $1.size },
                fetchedBytes: fetched.reduce(0) { $0 + $1.size },
                error: nil
            )
            if let failure = failures[position] ?? blobs.lazy.compactMap({ blobFailures[$0.digest] }).first {
                result.status = .failed
                result.error = String(describing: failure)
                failures[position] = failure
            } else {
                let size = try store.readBlob(target.manifestDigest).count
                let mediaType = manifest.flatMap(\.mediaType) ?? MediaType.ociManifest
                entries.append(LayoutStore.entry(
                    for: Descriptor(mediaType: mediaType, digest: target.manifestDigest, size: Int64(size)),
                    reference: target.image.reference,
                    platform: target.platform))
            }
            results.append(result)
        }
        try await store.record(entries)
        try await store.markUsed(results.filter { $0.status != .failed }.map { "\($0.reference) \($0.platform)" })
        for result in results { progress(.finished(result)) }

        if !failures.isEmpty {
            throw ImagesError.imagesFailed(failures.sorted { $0.key < $1.key }.map { position, error in
                ("\(targets[position].image.written) \(targets[position].platform)", error)
            })
        }
        return results
    }

    /// The image manifest of a target, from the cache or from the registry (verified, then kept).
    func manifest(for target: Target) async throws -> Manifest {
        let reference = target.image.reference
        var wanted = [target.manifestDigest]
        if let indexDigest = target.indexDigest { wanted.append(indexDigest) }
        for digest in wanted where !store.hasBlob(digest) {
            guard let registry else {
                throw ImagesError.notCached(["\(target.image.written) \(target.platform) (manifest \(digest))"])
            }
            let fetched = try await registry.fetchManifest(reference.pinned(to: digest))
            try store.writeBlob(fetched.bytes, as: fetched.descriptor)
        }
        let bytes = try store.readBlob(target.manifestDigest)
        guard case .image(let manifest) = try ManifestDocument.decode(bytes, contentType: nil) else {
            throw RegistryError.invalidManifest(reference: reference.pinned(to: target.manifestDigest).description, reason: "expected an image manifest, found an index")
        }
        return manifest
    }

    /// Downloads blobs, `jobs` at a time, starting the next as soon as one finishes.
    /// - Returns: the failures, by digest.
    func download(_ queue: [(Descriptor, Reference)]) async -> [Digest: any Error] {
        guard let registry, !queue.isEmpty else { return [:] }
        let store = self.store
        let progress = self.progress
        return await withTaskGroup(of: (Digest, (any Error)?).self) { group in
            var pending = queue.makeIterator()
            func startNext() {
                guard let (descriptor, reference) = pending.next() else { return }
                group.addTask {
                    do {
                        try await store.ingest(descriptor) { ingest in
                            try await registry.fetchBlob(descriptor, from: reference) { chunk in
                                try await ingest.write(chunk)
                                progress(.received(bytes: Int64(chunk.readableBytes)))
                            }
                        }
                        return (descriptor.digest, nil)
                    } catch {
                        return (descriptor.digest, error)
                    }
                }
            }
            for _ in 0..<jobs { startNext() }
            var failures: [Digest: any Error] = [:]
            while let (digest, error) = await group.next() {
                if let error { failures[digest] = error }
                startNext()
            }
            return failures
        }
    }
}
