import Foundation
import LayoutStore
import NIOCore
import OCIModel
import RegistryClient

/// Progress of a push, as small events the CLI aggregates.
public enum PushEvent: Sendable {
    /// What the push is about: images, blobs, and their bytes once per repository that needs
    /// them; the images that need sending (as ``PushedImage/reference`` names them).
    case planned(images: Int, blobs: Int, bytes: Int64, pushing: [String])
    /// More bytes done: sent, or of blobs found present or mounted.
    case sent(bytes: Int64)
    /// One image is in the destination, manifests and tag included.
    case finished(PushedImage)
}

/// The outcome of pushing one declared image.
public struct PushedImage: Sendable, Codable, Equatable {
    /// As declared (the upstream reference).
    public var reference: String
    /// Where it now is: the destination's repository, with the tag (or digest) declared.
    public var target: String
    /// The digest of what was pushed (the index, or the manifest): the same on both sides.
    public var digest: Digest
    /// Manifests put, the index's other platforms and attestations included (0 when the tag
    /// already named the image).
    public var manifests: Int
    /// Blobs of the image (configs and layers), and how each got there.
    public var blobs: Int
    public var uploaded: Int
    public var mounted: Int
    /// Already in the repository: found by a `HEAD`, or all of them when the tag already named
    /// the image (a registry takes a manifest only once it holds its blobs).
    public var present: Int
    /// Bytes sent for this image's blobs (a blob shared with an image pushed to the same
    /// repository counts for both).
    public var uploadedBytes: Int64
    /// Manifests and blobs of the index's other platforms that the cache lacked, fetched from
    /// the image's registry first.
    public var completedFromSource: Int
}

/// Copies locked images from the cache to another registry (`images push --to`), so that it can
/// serve as a mirror. An image whose tag there already names it is done after that one `HEAD`.
/// For the others: every blob once per repository (present ones skipped after a `HEAD`, ones in
/// another repository of the destination mounted, the rest uploaded, `jobs` at a time), then
/// the manifests by digest (an index after its manifests), then the tag. An index goes
/// unchanged, so its digest stays; the registry wants all its manifests first, and those of the
/// platforms the cache does not hold are fetched from the image's registry.
package struct PushWorkflow: Sendable {
    package let registry: RegistryClient
    package let store: LayoutStore
    /// Where images go: `registry[/prefix]`, each under its own repository path.
    package let destination: Mirror
    /// How many blobs go at once.
    package let jobs: Int
    package let progress: @Sendable (PushEvent) -> Void

    package init(
        registry: RegistryClient, store: LayoutStore, destination: Mirror, jobs: Int,
        progress: @escaping @Sendable (PushEvent) -> Void = { _ in }
    ) {
        self.registry = registry
        self.store = store
        self.destination = destination
        self.jobs = max(1, jobs)
        self.progress = progress
    }

    /// One image's manifests, children first, and where it goes.
    struct Plan {
        var image: DeclaredImage
        var target: Reference
        var top: Descriptor
        /// The index's manifests (or the one manifest), each with its blobs.
        var manifests: [(descriptor: Descriptor, blobs: [Descriptor])]
        var completedFromSource: Int

        /// Where the image's tag goes (its digest, when it was declared by digest only).
        var taggedTarget: Reference {
            guard let tag = target.tag else { return target }
            return Reference(registry: target.registry, repository: target.repository, tag: tag, digest: nil)
        }
    }

    /// A blob and the repositories of the destination that need it.
    struct BlobJob: Sendable {
        var descriptor: Descriptor
        var repositories: [Reference]

        mutating func add(_ repository: Reference) {
            if !repositories.contains(where: { $0.repository == repository.repository }) { repositories.append(repository) }
        }
    }

    /// Pushes `images` as `lock` pins them.
    /// - Returns: one result per image, in manifest order.
    /// - Throws: ``ImagesError/notInCache(reference:cache:)`` for a declared platform the cache
    ///   lacks, ``ImagesError/pushCollision(target:images:)`` before anything is sent, and the
    ///   registry's errors (``RegistryError/pushDenied(registry:repository:message:)``…).
    package func run(images: [DeclaredImage], lock: Lockfile) async throws -> [PushedImage] {
        try await store.withBlobsProtected {
            var planned: [Plan] = []
            for image in images { planned.append(try await plan(image, entry: try lock.pinnedEntry(for: image))) }
            let plans = planned
            try Self.checkNoCollisions(plans)
            // An image whose tag there already names it is there whole: nothing more to send.
            let registry = self.registry
            let tagged = try await SlidingWindow.map(plans, width: self.jobs) { plan in
                try await registry.manifestDigest(of: plan.taggedTarget) == plan.top.digest
            }.map { try $0.get() }
            var results = [PushedImage?](repeating: nil, count: plans.count)
            for (position, plan) in plans.enumerated() where tagged[position] {
                results[position] = Self.summary(of: plan, manifests: 0, outcomes: nil)
            }
            let toPush = plans.indices.filter { !tagged[$0] }
            let jobs = Self.blobJobs(for: toPush.map { plans[$0] })
            progress(
                .planned(
                    images: plans.count, blobs: jobs.count,
                    bytes: jobs.reduce(0) { $0 + $1.descriptor.size * Int64($1.repositories.count) },
                    pushing: toPush.map { plans[$0].image.written }))
            for result in results.compactMap({ $0 }) { progress(.finished(result)) }
            let outcomes = try await push(jobs)
            let progress = self.progress
            try await SlidingWindow.run(toPush, width: self.jobs, operation: { try await putManifests(of: plans[$0]) }) {
                position, manifests in
                let result = Self.summary(of: plans[position], manifests: try manifests.get(), outcomes: outcomes)
                results[position] = result
                progress(.finished(result))
            }
            return results.map { $0! }
        }
    }

    /// Each blob once, with every repository that needs it, largest first.
    static func blobJobs(for plans: [Plan]) -> [BlobJob] {
        var jobs: [Digest: BlobJob] = [:]
        for plan in plans {
            for blob in plan.manifests.flatMap(\.blobs) {
                jobs[blob.digest, default: BlobJob(descriptor: blob, repositories: [])].add(plan.target)
            }
        }
        return jobs.values.sorted { $0.descriptor.size > $1.descriptor.size }
    }

    /// The manifests by digest (an index after its own), then the tag.
    /// - Returns: how many manifests and indexes were put.
    private func putManifests(of plan: Plan) async throws -> Int {
        for manifest in plan.manifests {
            try await registry.pushManifest(
                try store.readBlob(manifest.descriptor.digest), mediaType: manifest.descriptor.mediaType,
                to: plan.target.pinned(to: manifest.descriptor.digest))
        }
        let top = try store.readBlob(plan.top.digest)
        if MediaType.isIndex(plan.top.mediaType) {
            try await registry.pushManifest(top, mediaType: plan.top.mediaType, to: plan.target.pinned(to: plan.top.digest))
        }
        if plan.target.tag != nil { try await registry.pushManifest(top, mediaType: plan.top.mediaType, to: plan.taggedTarget) }
        return plan.manifests.count + (MediaType.isIndex(plan.top.mediaType) ? 1 : 0)
    }

    /// What `image` consists of in the cache, completed from its registry where an index
    /// names manifests the cache does not hold.
    private func plan(_ image: DeclaredImage, entry: LockedImage) async throws -> Plan {
        let target = destination.reference(for: image.reference)
        func notCached(_ platform: Platform) -> ImagesError {
            .notInCache(reference: "\(image.written) \(platform)", cache: store.root)
        }
        guard store.hasBlob(entry.digest) else { throw notCached(image.platforms[0]) }
        let topBytes = try store.readBlob(entry.digest)
        let top = Descriptor(mediaType: entry.mediaType, digest: entry.digest, size: Int64(topBytes.count))
        // The declared platforms must be complete in the cache; their blob lists are kept.
        var declared: [Digest: [Descriptor]] = [:]
        for platform in image.platforms {
            let manifest = entry.platforms[platform.description]!
            guard store.hasBlob(manifest) else { throw notCached(platform) }
            let blobs = try blobs(of: manifest)
            guard blobs.allSatisfy({ store.hasBlob($0.digest) }) else { throw notCached(platform) }
            declared[manifest] = blobs
        }
        guard MediaType.isIndex(entry.mediaType) else {
            return Plan(
                image: image, target: target, top: top, manifests: [(top, try declared[top.digest] ?? blobs(of: top.digest))],
                completedFromSource: 0)
        }
        guard case .index(let index) = try ManifestDocument.decode(topBytes, contentType: nil) else {
            throw RegistryError.invalidManifest(
                reference: image.reference.pinned(to: entry.digest).description,
                reason: "the lock says index, the cache holds a manifest")
        }
        var completed = 0
        var manifests: [(descriptor: Descriptor, blobs: [Descriptor])] = []
        var missing: [Digest: Descriptor.WithSource] = [:]
        for child in index.manifests {
            if !store.hasBlob(child.digest) {
                let fetched = try await registry.fetchManifest(image.reference.pinned(to: child.digest))
                try store.writeBlob(fetched.bytes, as: child)
                completed += 1
            }
            let blobs = try declared[child.digest] ?? blobs(of: child.digest)
            for blob in blobs where !store.hasBlob(blob.digest) {
                missing[blob.digest] = Descriptor.WithSource(descriptor: blob, source: image.reference)
            }
            manifests.append((child, blobs))
        }
        try await BlobDownloads(registry: registry, store: store, jobs: jobs) { _ in }.run(
            missing.values.sorted { $0.size > $1.size }
        ) { _, failure in
            if let failure { throw failure }
        }
        completed += missing.count
        return Plan(image: image, target: target, top: top, manifests: manifests, completedFromSource: completed)
    }

    /// The config and layers of a cached image manifest.
    private func blobs(of manifest: Digest) throws -> [Descriptor] {
        try store.imageManifest(manifest).blobs
    }

    /// Two declared images that would take the same tag (or repository and digest) with
    /// different content: refused before anything is sent.
    static func checkNoCollisions(_ plans: [Plan]) throws {
        var seen: [String: Plan] = [:]
        for plan in plans {
            let key = plan.target.repository + ":" + (plan.target.tag ?? plan.top.digest.description)
            if let other = seen[key], other.top.digest != plan.top.digest {
                throw ImagesError.pushCollision(
                    target: plan.target.description, images: [other.image.written, plan.image.written])
            }
            seen[key] = plan
        }
    }

    /// Makes every blob exist in each repository that needs it, `jobs` blobs at a time; within
    /// a blob, one repository after another, so that the later ones can mount it.
    private func push(_ jobs: [BlobJob]) async throws -> [String: (BlobPush, Int64)] {
        let registry = self.registry
        let store = self.store
        let progress = self.progress
        let destination = self.destination
        // Where earlier pushes put blobs in this registry: places to mount from.
        let known = (try? store.metadata().blobLocations[destination.registry]) ?? [:]
        var outcomes: [String: (BlobPush, Int64)] = [:]
        try await SlidingWindow.run(
            jobs, width: self.jobs,
            operation: { job in
                var holder = known[job.descriptor.digest.description].map {
                    Reference(registry: destination.registry, repository: $0, tag: nil, digest: nil)
                }
                var outcomes: [(String, (BlobPush, Int64))] = []
                for repository in job.repositories {
                    let outcome = try await registry.pushBlob(
                        job.descriptor, to: repository, mountingFrom: holder,
                        contents: { range in
                            ReportingChunks(base: try store.contents(of: job.descriptor, range: range)) {
                                progress(.sent(bytes: Int64($0)))
                            }
                        })
                    if outcome != .uploaded { progress(.sent(bytes: job.descriptor.size)) }
                    holder = repository
                    outcomes.append(
                        (Self.key(repository, job.descriptor.digest), (outcome, outcome == .uploaded ? job.descriptor.size : 0)))
                }
                return outcomes
            }
        ) { _, pushed in
            for (key, outcome) in try pushed.get() { outcomes[key] = outcome }
        }
        var locations: [Digest: String] = [:]
        for job in jobs { locations[job.descriptor.digest] = job.repositories.last?.repository }
        try await store.recordBlobLocations(locations, in: destination.registry)
        return outcomes
    }

    private static func key(_ repository: Reference, _ digest: Digest) -> String {
        repository.repository + "@" + digest.description
    }

    /// - Parameter outcomes: how each blob got to each repository; nil when the tag already
    ///   named the image (every blob present).
    private static func summary(of plan: Plan, manifests: Int, outcomes: [String: (BlobPush, Int64)]?) -> PushedImage {
        var unique: [Digest: Descriptor] = [:]
        for blob in plan.manifests.flatMap(\.blobs) { unique[blob.digest] = blob }
        let results: [(BlobPush, Int64)] = unique.keys.compactMap { digest in
            guard let outcomes else { return (.present, 0) }
            return outcomes[key(plan.target, digest)]
        }
        return PushedImage(
            reference: plan.image.written, target: plan.target.description, digest: plan.top.digest,
            manifests: manifests,
            blobs: unique.count,
            uploaded: results.filter { $0.0 == .uploaded }.count,
            mounted: results.filter { $0.0 == .mounted }.count,
            present: results.filter { $0.0 == .present }.count,
            uploadedBytes: results.reduce(0) { $0 + $1.1 },
            completedFromSource: plan.completedFromSource)
    }
}

/// A blob's chunks as they are read for an upload, each reported by its size.
struct ReportingChunks<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let report: @Sendable (Int) -> Void

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), report: report) }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let report: @Sendable (Int) -> Void

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            report(chunk.readableBytes)
            return chunk
        }
    }
}
