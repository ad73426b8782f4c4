import Foundation
import LayoutStore
import NIOCore
import OCIModel
import RegistryClient

/// What happened to one image of the lock.
public struct LockChange: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// Newly resolved (not in the lock before).
        case added
        /// The tag now points at another digest.
        case moved
        /// Same reference, other platforms.
        case platformsChanged
        /// Resolved again and found unchanged, or not re-resolved at all.
        case unchanged
        /// In the lock but no longer declared.
        case removed
    }

    public var ref: String
    public var kind: Kind
    public var oldDigest: Digest?
    public var newDigest: Digest?
}

/// Resolves declared images to digests and produces `images.lock.json`.
package struct LockWorkflow: Sendable {
    /// Which images to ask the registry about.
    package enum Scope: Sendable {
        /// Only images the lock does not pin yet (what `pull` does).
        case missing
        /// Every tag, to find those that moved (what `lock` does).
        case all
        /// These images, plus those the lock does not pin yet (`lock --update REF…`).
        case only([Reference])
    }

    package let registry: RegistryClient
    /// Where fetched manifests are kept, so that a following pull does not fetch them again.
    package let store: LayoutStore?
    /// How many images are resolved at once (each a few requests, one after the other).
    static let concurrentResolutions = 8

    package init(registry: RegistryClient, store: LayoutStore?) {
        self.registry = registry
        self.store = store
    }

    /// Resolves what `scope` asks for and returns the new lock with what changed.
    /// Entries that did not change are kept exactly as they were.
    package func run(manifest: ImagesManifest, existing: Lockfile?, scope: Scope) async throws -> (Lockfile, [LockChange]) {
        let work: [(DeclaredImage, LockedImage?, Bool)] = manifest.images.map { image in
            let previous = existing?.entry(for: image)
            let current = previous.map { $0.pins(image) } ?? false
            let refresh: Bool
            switch scope {
            case .missing: refresh = !current
            case .all: refresh = !current || image.reference.digest == nil
            case .only(let references):
                refresh = !current || (references.contains(image.reference) && image.reference.digest == nil)
            }
            return (image, previous, refresh)
        }
        var resolved: [String: LockedImage] = [:]
        for (image, previous, refresh) in work where !refresh {
            resolved[image.written] = previous
        }
        let toResolve = work.filter(\.2).map { ($0.0, $0.1) }
        let outcomes = await SlidingWindow.map(toResolve, width: Self.concurrentResolutions) { image, previous in
            try await resolve(image, previous: previous)
        }
        var failures: [(image: String, error: any Error)] = []
        for ((image, _), result) in zip(toResolve, outcomes) {
            switch result {
            case .success(let entry): resolved[image.written] = entry
            case .failure(let error): failures.append((image.written, error))
            }
        }
        guard failures.isEmpty else {
            throw ImagesError.imagesFailed(failures.sorted { $0.image < $1.image })
        }
        let lock = Lockfile(images: Array(resolved.values))
        return (lock, Self.changes(from: existing, to: lock))
    }

    /// Resolves one image: its tag (or digest) to a descriptor, then each platform to a manifest.
    func resolve(_ image: DeclaredImage, previous: LockedImage?) async throws -> LockedImage {
        let (descriptor, fetched) = try await registry.resolve(image.reference)
        if let previous, previous.digest == descriptor.digest, previous.pins(image) {
            return previous
        }
        let top: FetchedManifest
        if let fetched {
            top = fetched
        } else {
            top = try await registry.fetchManifest(image.reference.pinned(to: descriptor.digest))
        }
        try store?.writeBlob(top.bytes, as: top.descriptor)
        var platforms: [String: Digest] = [:]
        switch top.document {
        case .index(let index):
            for platform in image.platforms {
                guard let entry = index.manifest(for: platform) else {
                    throw ImagesError.platformUnavailable(
                        reference: image.written, platform: platform, available: index.platforms)
                }
                platforms[platform.description] = entry.digest
            }
        case .image(let manifest):
            let config = try await fetchConfig(manifest.config, of: image.reference)
            for platform in image.platforms {
                guard platform.matches(config.platform) else {
                    throw ImagesError.platformUnavailable(
                        reference: image.written, platform: platform, available: [config.platform])
                }
                platforms[platform.description] = top.digest
            }
        }
        return LockedImage(
            ref: image.written,
            canonical: image.reference.description,
            digest: top.digest,
            mediaType: top.mediaType,
            platforms: platforms
        )
    }

    /// Reads a single-platform image's config to learn its platform, keeping it in the store.
    func fetchConfig(_ descriptor: Descriptor, of reference: Reference) async throws -> ImageConfig {
        try await ImageConfig.fetch(descriptor, of: reference, registry: registry, store: store)
    }

    static func changes(from old: Lockfile?, to new: Lockfile) -> [LockChange] {
        let before = Dictionary((old?.images ?? []).map { ($0.ref, $0) }, uniquingKeysWith: { first, _ in first })
        var changes = new.images.map { entry -> LockChange in
            guard let previous = before[entry.ref] else {
                return LockChange(ref: entry.ref, kind: .added, oldDigest: nil, newDigest: entry.digest)
            }
            if previous.digest != entry.digest {
                return LockChange(ref: entry.ref, kind: .moved, oldDigest: previous.digest, newDigest: entry.digest)
            }
            if previous.platforms != entry.platforms {
                return LockChange(ref: entry.ref, kind: .platformsChanged, oldDigest: previous.digest, newDigest: entry.digest)
            }
            return LockChange(ref: entry.ref, kind: .unchanged, oldDigest: previous.digest, newDigest: entry.digest)
        }
        let kept = Set(new.images.map(\.ref))
        for entry in old?.images ?? [] where !kept.contains(entry.ref) {
            changes.append(LockChange(ref: entry.ref, kind: .removed, oldDigest: entry.digest, newDigest: nil))
        }
        return changes
    }
}
