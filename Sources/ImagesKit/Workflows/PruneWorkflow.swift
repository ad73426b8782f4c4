import DockerEngineClient
import Foundation
import LayoutStore
import OCIModel

#if canImport(Glibc)
    import Glibc
#endif

/// Why prune left an image alone. In JSON: `{"kind": "declared"}`, `{"kind": "inUse",
/// "containers": […]}`, `{"kind": "keepPattern", "pattern": "…"}`, `{"kind": "recentlyUsed",
/// "lastUsed": date}`, `{"kind": "recentlyCreated", "created": date}`, `{"kind": "useUnknown",
/// "reason": "…"}`.
public enum KeepReason: Sendable, Equatable, Codable, CustomStringConvertible {
    /// This manifest declares it.
    case declared
    /// A container, running or stopped, uses it.
    case inUse(containers: [String])
    /// Its name matches a keep pattern.
    case keepPattern(String)
    /// It was used (pulled, locked, loaded) within the grace period.
    case recentlyUsed(Date)
    /// A daemon image this tool has no record of, built within the grace period.
    case recentlyCreated(Date)
    /// The record of when images were used cannot be read (the reason says why): when in
    /// doubt, keep.
    case useUnknown(String)

    public var description: String {
        switch self {
        case .declared: "declared"
        case let .inUse(containers): "in use by container \(containers.joined(separator: ", "))"
        case let .keepPattern(pattern): "matches keep pattern \(pattern)"
        case let .recentlyUsed(date): "used \(Self.age(of: date)) ago"
        case let .recentlyCreated(date): "created \(Self.age(of: date)) ago"
        case let .useUnknown(reason): "last use unknown: \(reason)"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case kind, containers, pattern, lastUsed, created, reason
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .declared:
            try container.encode("declared", forKey: .kind)
        case let .inUse(containers):
            try container.encode("inUse", forKey: .kind)
            try container.encode(containers, forKey: .containers)
        case let .keepPattern(pattern):
            try container.encode("keepPattern", forKey: .kind)
            try container.encode(pattern, forKey: .pattern)
        case let .recentlyUsed(date):
            try container.encode("recentlyUsed", forKey: .kind)
            try container.encode(date, forKey: .lastUsed)
        case let .recentlyCreated(date):
            try container.encode("recentlyCreated", forKey: .kind)
            try container.encode(date, forKey: .created)
        case let .useUnknown(reason):
            try container.encode("useUnknown", forKey: .kind)
            try container.encode(reason, forKey: .reason)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "declared": self = .declared
        case "inUse": self = .inUse(containers: try container.decode([String].self, forKey: .containers))
        case "keepPattern": self = .keepPattern(try container.decode(String.self, forKey: .pattern))
        case "recentlyUsed": self = .recentlyUsed(try container.decode(Date.self, forKey: .lastUsed))
        case "recentlyCreated": self = .recentlyCreated(try container.decode(Date.self, forKey: .created))
        case "useUnknown": self = .useUnknown(try container.decode(String.self, forKey: .reason))
        case let kind:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown kind '\(kind)'")
        }
    }

    /// `3h`, `2d`, `45m`, `10s`.
    static func age(of date: Date, now: Date = Date()) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        if seconds >= 2 * 86400 { return "\(seconds / 86400)d" }
        if seconds >= 2 * 3600 { return "\(seconds / 3600)h" }
        if seconds >= 120 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

/// One image prune looked at.
public struct PrunedImage: Sendable, Equatable, Codable {
    /// The cache's reference, or the daemon's first tag, or its short ID for a dangling image.
    public var name: String
    /// The platform (cache entries).
    public var platform: String?
    /// The manifest digest (cache) or the image ID (daemon).
    public var id: String
    /// Compressed bytes of the image's blobs (cache) or the daemon's size.
    public var size: Int64
    /// Why it stays; nil for an image removed (or, in a dry run, to be removed).
    public var kept: KeepReason?
}

/// What prune did, or with `dryRun` would do, in the cache or the daemon.
public struct PruneReport: Sendable, Equatable, Codable {
    public enum Target: String, Sendable, Codable {
        case cache, engine
    }

    public var target: Target
    public var dryRun: Bool
    public var removed: [PrunedImage]
    public var kept: [PrunedImage]
    /// Bytes freed (to be freed): for the cache, the blobs no remaining image needs; for the
    /// daemon, see ``Workspace/prune(engine:dryRun:keep:grace:)``.
    public var reclaimedBytes: Int64
}

/// Removes what a project does not need, never what it declares: from the cache, the images
/// neither declared nor kept by a pattern and not used within the grace period, then every blob
/// no remaining image needs; from the Docker daemon, the same, and never an image a container
/// uses.
package struct PruneWorkflow: Sendable {
    package let store: LayoutStore
    package let engine: DockerEngineClient?
    package let declared: [DeclaredImage]
    package let settings: PruneSettings
    package let now: Date
    /// The declared references, for a lookup per image rather than a scan.
    private let declaredReferences: Set<Reference>

    package init(
        store: LayoutStore, engine: DockerEngineClient?, declared: [DeclaredImage], settings: PruneSettings,
        now: Date = Date()
    ) {
        self.store = store
        self.engine = engine
        self.declared = declared
        self.declaredReferences = Set(declared.map(\.reference))
        self.settings = settings
        self.now = now
    }

    /// Prunes the cache. The choice is made and carried out in one step under the cache's locks,
    /// so a pull under way finishes first and what it recorded counts as used.
    package func pruneCache(dryRun: Bool) async throws -> PruneReport {
        var kept: [PrunedImage] = []
        var removed: [PrunedImage] = []
        let (_, freed) = try await store.prune(dryRun: dryRun) { entries, record in
            let metadata = (try? record.get()) ?? CacheMetadata()
            var chosen: [Descriptor] = []
            for entry in entries {
                guard let name = entry.annotations?[LayoutStore.refNameAnnotation] else { continue }
                let platform = entry.platform?.description
                var image = PrunedImage(name: name, platform: platform, id: entry.digest.description, size: size(of: entry))
                let lastUsed = metadata.images[name + " " + (platform ?? "")]?.lastUsed ?? store.blobDate(entry.digest)
                image.kept = reason(toKeep: [name], lastUsed: lastUsed, record: record)
                if image.kept == nil {
                    chosen.append(entry)
                    removed.append(image)
                } else {
                    kept.append(image)
                }
            }
            return chosen
        }
        return PruneReport(target: .cache, dryRun: dryRun, removed: removed, kept: kept, reclaimedBytes: freed.bytes)
    }

    /// Prunes the daemon: tagged and dangling images that are not declared (by tag, or by the
    /// image ID the cache holds for a declared image), not used by any container, not matching a
    /// keep pattern and not used within the grace period (our record of loads, else the image's
    /// creation). Containers are listed again right before each removal, and a conflict the
    /// daemon reports keeps the image; nothing is ever forced.
    ///
    /// `reclaimedBytes`: in a real run, what left the daemon's disk (its layers' total before and
    /// after); in a dry run, what will: see ``reclaimableBytes(removing:of:engine:usage:)``.
    package func pruneEngine(dryRun: Bool) async throws -> PruneReport {
        guard let engine else { return PruneReport(target: .engine, dryRun: dryRun, removed: [], kept: [], reclaimedBytes: 0) }
        let declaredIDs = declaredImageIDs()
        let declaredTags = Set(declared.compactMap(\.reference.dockerTag))
        let record = Result { try store.metadata() }
        // The latest use of each reference, whatever the platform (keys are `REFERENCE PLATFORM`).
        var lastUsed: [String: Date] = [:]
        for (key, use) in (try? record.get())?.images ?? [:] {
            guard let space = key.lastIndex(of: " ") else { continue }
            lastUsed[String(key[..<space])] = max(lastUsed[String(key[..<space])] ?? .distantPast, use.lastUsed)
        }
        let containersByImage = Dictionary(grouping: try await engine.containers(), by: \.imageID)
        let usage = try await engine.diskUsage()
        var kept: [PrunedImage] = []
        var candidates: [(image: PrunedImage, summary: EngineImageSummary)] = []
        let summaries = try await engine.images()
        for summary in summaries.sorted(by: { ($0.tags.first ?? $0.id) < ($1.tags.first ?? $1.id) }) {
            var image = PrunedImage(
                name: summary.tags.first ?? String(summary.id.dropFirst("sha256:".count).prefix(12)), platform: nil,
                id: summary.id, size: summary.size)
            if summary.tags.contains(where: declaredTags.contains) || declaredIDs.contains(summary.id) {
                image.kept = .declared
            } else if let containers = containersByImage[summary.id] {
                image.kept = .inUse(containers: containers.map(\.displayName))
            } else {
                let canonical = summary.tags.compactMap { try? Reference(parsing: $0).description }
                let recorded = canonical.compactMap { lastUsed[$0] }.max()
                image.kept = reason(
                    toKeep: summary.tags + canonical, lastUsed: recorded, record: record,
                    created: Date(timeIntervalSince1970: TimeInterval(summary.created)))
            }
            if image.kept == nil { candidates.append((image, summary)) } else { kept.append(image) }
        }
        if dryRun {
            let bytes = try await reclaimableBytes(
                removing: Set(candidates.map(\.summary.id)), of: summaries, engine: engine, usage: usage)
            return PruneReport(target: .engine, dryRun: true, removed: candidates.map(\.image), kept: kept, reclaimedBytes: bytes)
        }
        var removed: [PrunedImage] = []
        for (image, summary) in candidates {
            var image = image
            let usersNow = try await engine.containers().filter { $0.imageID == summary.id }
            if !usersNow.isEmpty {
                image.kept = .inUse(containers: usersNow.map(\.displayName))
                kept.append(image)
                continue
            }
            do {
                // Each name goes; the last one takes the image. A dangling image goes by ID.
                for name in summary.tags.isEmpty ? [summary.id] : summary.tags { _ = try await engine.removeImage(name) }
                removed.append(image)
            } catch EngineError.inUse(_, let containers) {
                image.kept = .inUse(containers: containers)
                kept.append(image)
            }
        }
        let after = try await engine.diskUsage()
        return PruneReport(
            target: .engine, dryRun: false, removed: removed, kept: kept,
            reclaimedBytes: max(0, usage.layersSize - after.layersSize))
    }

    /// The bytes the daemon frees when it removes these images: every layer that no other image
    /// holds, once (two candidates may share layers no kept image has). A candidate whose
    /// history does not account for its layers counts its own unique size instead (what
    /// `docker system df -v` shows), which leaves out what it shares with other candidates.
    private func reclaimableBytes(
        removing candidates: Set<String>, of images: [EngineImageSummary], engine: DockerEngineClient,
        usage: EngineDiskUsage
    ) async throws -> Int64 {
        var held: Set<String> = []
        var freed: [String: Int64] = [:]
        var unaccounted: Int64 = 0
        for image in images {
            guard let layers = try await engine.layers(of: image.id, emptyLayers: cachedEmptyLayers(image.id)) else { continue }
            guard candidates.contains(image.id) else {
                held.formUnion(layers.map(\.chainID))
                continue
            }
            if layers.contains(where: { $0.size == nil }) {
                let unique = usage.images.first { $0.id == image.id }.map { $0.size - $0.sharedSize }
                unaccounted += max(0, unique ?? 0)
                continue
            }
            for layer in layers { freed[layer.chainID] = layer.size }
        }
        return freed.filter { !held.contains($0.key) }.values.reduce(unaccounted, +)
    }

    /// Which history entries of an image's config made no layer, when the cache has the config
    /// (a daemon image's ID is its config digest).
    private func cachedEmptyLayers(_ imageID: String) -> [Bool]? {
        guard let digest = try? Digest(parsing: imageID), let bytes = try? store.readBlob(digest),
            let config = try? ImageConfig.decode(bytes), let history = config.history
        else { return nil }
        return history.map { $0.emptyLayer ?? false }
    }

    /// Why an image with these names, last used (or else created) then, stays; nil when it may go.
    /// When the record of use cannot be read, an image neither declared nor kept by a pattern
    /// stays for that reason.
    func reason(
        toKeep names: [String], lastUsed: Date?, record: Result<CacheMetadata, any Error> = .success(CacheMetadata()),
        created: Date? = nil
    ) -> KeepReason? {
        let references = names.compactMap { try? Reference(parsing: $0) }
        if references.contains(where: declaredReferences.contains) { return .declared }
        for pattern in settings.keep
        where names.contains(where: { Self.matches($0, pattern) })
            || references.contains(where: {
                Self.matches($0.familiarName + ($0.tag.map { ":" + $0 } ?? ""), pattern)
            })
        {
            return .keepPattern(pattern)
        }
        if case .failure(let error) = record {
            return .useUnknown("\(error); the next pull or load starts a new record")
        }
        if let lastUsed {
            return now.timeIntervalSince(lastUsed) < settings.grace ? .recentlyUsed(lastUsed) : nil
        }
        if let created, now.timeIntervalSince(created) < settings.grace { return .recentlyCreated(created) }
        return nil
    }

    /// A shell glob: `*` any run of characters (slashes too), `?` one.
    static func matches(_ name: String, _ pattern: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }

    /// Compressed bytes of a cached image: its manifest's blobs.
    private func size(of entry: Descriptor) -> Int64 {
        guard let manifest = try? store.imageManifest(entry.digest) else { return entry.size }
        return manifest.blobs.reduce(entry.size) { $0 + $1.size }
    }

    /// The image IDs the declared images the cache holds may have in an engine: config
    /// digests, and manifest and index digests (see ``EngineIdentity``).
    private func declaredImageIDs() -> Set<String> {
        var ids: Set<String> = []
        guard let index = try? store.index() else { return ids }
        let names = Set(declared.map(\.reference.description))
        for entry in index.manifests where names.contains(entry.annotations?[LayoutStore.refNameAnnotation] ?? "") {
            // The containerd image store names an image by its manifest or index digest.
            ids.insert(entry.digest.description)
            if let index = entry.annotations?[LayoutStore.indexAnnotation] { ids.insert(index) }
            if let manifest = try? store.imageManifest(entry.digest) { ids.insert(manifest.config.digest.description) }
        }
        return ids
    }
}
