import Foundation
import LayoutStore
import OCIModel
import RegistryClient

/// Progress of a pull, as small events the CLI aggregates.
public enum PullEvent: Sendable {
    /// The lock was brought up to date before pulling (only images that changed).
    case locked([LockChange])
    /// What will be downloaded: blobs and bytes not yet in the cache, and the images that wait
    /// for them (as ``PulledImage/reference`` names them; once per platform).
    case planned(images: Int, blobs: Int, bytes: Int64, downloading: [String])
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
package struct PullWorkflow: Sendable {
    /// nil means offline: nothing may be fetched.
    package let registry: RegistryClient?
    package let store: LayoutStore
    /// How many blobs download at once.
    package let jobs: Int
    package let progress: @Sendable (PullEvent) -> Void

    package init(
        registry: RegistryClient?, store: LayoutStore, jobs: Int, progress: @escaping @Sendable (PullEvent) -> Void = { _ in }
    ) {
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
    package func run(images: [DeclaredImage], lock: Lockfile) async throws -> [PulledImage] {
        try await store.withBlobsProtected { try await pull(images: images, lock: lock) }
    }

    private func pull(images: [DeclaredImage], lock: Lockfile) async throws -> [PulledImage] {
        try await store.removeAbandonedIngests()
        let targets = try Self.targets(for: images, lock: lock)

        // 1. Manifests: from the cache, or fetched and verified.
        let manifests = await SlidingWindow.map(targets, width: jobs) { try await manifest(for: $0) }
        var failures: [Int: any Error] = [:]
        var missingOffline: [String] = []
        for (position, result) in manifests.enumerated() {
            guard case .failure(let error) = result else { continue }
            if case ImagesError.notCached(let what) = error { missingOffline += what } else { failures[position] = error }
        }

        // 2. Blobs: each missing digest once, owned by the first image that needs it.
        var plan = Plan()
        for (position, result) in manifests.enumerated() {
            guard case .success(let manifest) = result else { continue }
            plan.add(
                position, blobs: manifest.blobs, isMissing: { !store.hasBlob($0) }, source: targets[position].image.reference)
        }
        if registry == nil {
            for (position, blobs) in plan.missingByImage() {
                missingOffline.append(
                    "\(targets[position].image.written) \(targets[position].platform) (\(blobs.count) blobs, first \(blobs[0].digest))"
                )
            }
        }
        guard missingOffline.isEmpty else { throw ImagesError.notCached(missingOffline) }
        progress(
            .planned(
                images: targets.count, blobs: plan.queue.count, bytes: plan.queue.reduce(0) { $0 + $1.size },
                downloading: plan.missingByImage().map { position, _ in targets[position].image.reference.description }))

        // 3. Each image is done as soon as its last blob is in; index.json is written once, for
        // all of them, at the end (also when the run fails: what is complete stays recorded).
        var results = [PulledImage?](repeating: nil, count: targets.count)
        var entries: [Descriptor] = []
        func finish(_ position: Int, failure: (any Error)?) async throws {
            let target = targets[position]
            let manifest = try? manifests[position].get()
            let blobs = manifest?.blobs ?? []
            let fetched = plan.fetchedBytes(of: position)
            var result = PulledImage(
                reference: target.image.reference.description,
                platform: target.platform.description,
                digest: target.manifestDigest,
                status: fetched == 0 ? .cached : .pulled,
                blobs: blobs.count,
                size: blobs.reduce(0) { $0 + $1.size },
                fetchedBytes: fetched,
                error: nil
            )
            if let failure {
                result.status = .failed
                result.error = String(describing: failure)
                failures[position] = failure
            } else {
                // The manifest was read and verified in step 1: its file's size is all that is needed.
                guard let size = store.cachedSize(of: target.manifestDigest) else {
                    throw LayoutError.missingBlob(target.manifestDigest)
                }
                let descriptor = Descriptor(
                    mediaType: manifest?.mediaType ?? MediaType.ociManifest, digest: target.manifestDigest, size: size)
                entries.append(
                    LayoutStore.entry(
                        for: descriptor, reference: target.image.reference, platform: target.platform, index: target.indexDigest))
            }
            results[position] = result
            progress(.finished(result))
        }
        do {
            for (position, failure) in failures.sorted(by: { $0.key < $1.key }) {
                try await finish(position, failure: failure)
            }
            for position in plan.complete(among: targets.indices.filter { failures[$0] == nil }) {
                try await finish(position, failure: nil)
            }
            try await download(plan.queue) { digest, failure in
                for position in plan.finished(digest, failed: failure != nil) {
                    try await finish(position, failure: failure)
                }
            }
        } catch {
            try? await store.record(entries)
            throw error
        }
        try await store.record(entries)
        try await store.markUsed(
            targets.indices.filter { failures[$0] == nil }.map {
                LayoutStore.imageKey(targets[$0].image.reference, targets[$0].platform)
            })

        if !failures.isEmpty {
            throw ImagesError.imagesFailed(
                failures.sorted { $0.key < $1.key }.map { position, error in
                    ("\(targets[position].image.written) \(targets[position].platform)", error)
                })
        }
        return results.map { $0! }
    }

    static func targets(for images: [DeclaredImage], lock: Lockfile) throws -> [Target] {
        try images.flatMap { image -> [Target] in
            let entry = try lock.pinnedEntry(for: image)
            return image.platforms.map { platform in
                Target(
                    image: image, platform: platform,
                    indexDigest: MediaType.isIndex(entry.mediaType) ? entry.digest : nil,
                    manifestDigest: entry.platforms[platform.description]!)
            }
        }
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
            throw RegistryError.invalidManifest(
                reference: reference.pinned(to: target.manifestDigest).description,
                reason: "expected an image manifest, found an index")
        }
        try store.checkCachedSizes(manifest.blobs)
        return manifest
    }

    /// Downloads blobs, `jobs` at a time, and calls `completed` (serially) after each, with its
    /// failure if it failed; nothing when offline.
    func download(_ queue: [Descriptor.WithSource], completed: (Digest, (any Error)?) async throws -> Void) async throws {
        guard let registry else { return }
        let progress = self.progress
        try await BlobDownloads(registry: registry, store: store, jobs: jobs) { progress(.received(bytes: $0)) }
            .run(queue, completed: completed)
    }
}
