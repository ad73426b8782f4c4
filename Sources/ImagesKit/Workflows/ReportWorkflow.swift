import Foundation
import LayoutStore
import OCIModel
import RegistryClient

/// What the declared images cost, layer by layer: the document `images report` renders as a
/// table, Markdown or JSON (its keys are stable).
public struct SizeReport: Sendable, Codable, Equatable {
    /// Byte counts of the three kinds a layer has. `tar` and `unpacked` are nil when unknown: an
    /// image reported from its manifest alone (`--remote`).
    public struct Sizes: Sendable, Codable, Equatable {
        /// The blobs' bytes: what is downloaded and what a CI cache stores.
        public var compressed: Int64 = 0
        /// The uncompressed tar streams (what `rootfs.diff_ids` hash).
        public var tar: Int64? = 0
        /// The files, as Docker counts an image's `Size` and `docker history` a layer's.
        public var unpacked: Int64? = 0
        public var layers = 0

        public init() {}

        /// Adds a layer's sizes. A hostile layer can claim sizes without bytes behind them
        /// (a hard link's header size counts, as Docker counts it): sums stop at `Int64.max`
        /// instead of overflowing, and a budget still sees them as over.
        mutating func add(_ layer: Layer) {
            compressed = Self.sum(compressed, layer.compressed)
            tar = tar.flatMap { total in layer.tar.map { Self.sum(total, $0) } }
            unpacked = unpacked.flatMap { total in layer.unpacked.map { Self.sum(total, $0) } }
            layers += 1
        }

        private static func sum(_ a: Int64, _ b: Int64) -> Int64 {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? .max : sum
        }

        /// The sizes of `layers`, each counted once.
        init(of layers: some Sequence<Layer>) {
            self.init()
            for layer in layers { add(layer) }
        }
    }

    public struct Layer: Sendable, Codable, Equatable {
        public var digest: Digest
        public var mediaType: String
        public var compressed: Int64
        public var tar: Int64?
        public var unpacked: Int64?
        /// The command that made the layer, from the config's `history`.
        public var createdBy: String?
        /// How many of the reported images (one per platform) use this layer.
        public var sharedBy: Int
    }

    public struct Image: Sendable, Codable, Equatable {
        public enum Source: String, Sendable, Codable {
            /// Measured from the cached blobs.
            case cache
            /// From the manifest alone (`--remote`): compressed sizes only.
            case remote
        }

        public var reference: String
        public var platform: String
        /// The image manifest digest.
        public var digest: Digest
        public var source: Source
        public var layers: [Layer]
        public var total: Sizes
        /// The layers no other reported image uses.
        public var unique: Sizes
    }

    public var images: [Image]
    /// The images' totals added up, as if each were stored on its own.
    public var total: Sizes
    /// Every layer once: what the cache really holds for these images.
    public var unique: Sizes
    /// What sharing layers saves: `total` minus `unique`.
    public var saved: Sizes
}

/// Builds the ``SizeReport`` of declared images: per layer the compressed size from the
/// manifest, and the tar and unpacked sizes measured by decompressing each cached layer once
/// (several at a time) and recorded in the cache's metadata, so that the next report reads them.
package struct ReportWorkflow: Sendable {
    package let store: LayoutStore
    /// For `--remote`: where manifests of images not in the cache are fetched.
    package let registry: RegistryClient?
    /// How many layers are decompressed at once.
    package let jobs: Int

    package init(store: LayoutStore, registry: RegistryClient? = nil, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.store = store
        self.registry = registry
        self.jobs = max(1, jobs)
    }

    /// One image and platform to report on, its manifest and config read.
    struct Subject {
        var image: DeclaredImage
        var platform: Platform
        var digest: Digest
        var manifest: Manifest
        var config: ImageConfig
        var cached: Bool
    }

    /// - Throws: ``ImagesError/notInCache(reference:cache:)`` for an image not cached when no
    ///   registry is given; `LayoutError` for a corrupt layer (its content does not match the
    ///   config's `diff_ids`, or it is not a valid tar).
    package func run(images: [DeclaredImage], lock: Lockfile) async throws -> SizeReport {
        var subjects: [Subject] = []
        for image in images {
            let entry = try lock.pinnedEntry(for: image)
            for platform in image.platforms {
                guard let digest = entry.platforms[platform.description] else {
                    throw ImagesError.notInCache(reference: "\(image.written) \(platform)", cache: store.root)
                }
                subjects.append(try await subject(image, platform, digest))
            }
        }
        let sizes = try await layerSizes(of: subjects)

        var users: [Digest: Int] = [:]
        for subject in subjects {
            for digest in Set(subject.manifest.layers.map(\.digest)) { users[digest, default: 0] += 1 }
        }
        var reported: [SizeReport.Image] = []
        for subject in subjects {
            let commands = (subject.config.history ?? []).filter { $0.emptyLayer != true }.map(\.createdBy)
            let layers = subject.manifest.layers.enumerated().map { position, layer in
                SizeReport.Layer(
                    digest: layer.digest, mediaType: layer.mediaType, compressed: layer.size,
                    tar: sizes[layer.digest]?.tar, unpacked: sizes[layer.digest]?.unpacked,
                    createdBy: position < commands.count ? commands[position] : nil,
                    sharedBy: users[layer.digest] ?? 1)
            }
            reported.append(
                SizeReport.Image(
                    reference: subject.image.reference.description, platform: subject.platform.description,
                    digest: subject.digest, source: subject.cached ? .cache : .remote, layers: layers,
                    total: .init(of: layers), unique: .init(of: Self.once(layers.filter { $0.sharedBy == 1 }))))
        }
        let total = reported.reduce(into: SizeReport.Sizes()) { total, image in
            for layer in image.layers { total.add(layer) }
        }
        let unique = SizeReport.Sizes(of: Self.once(reported.flatMap(\.layers)))
        var saved = SizeReport.Sizes()
        saved.compressed = total.compressed - unique.compressed
        saved.tar = total.tar.flatMap { all in unique.tar.map { all - $0 } }
        saved.unpacked = total.unpacked.flatMap { all in unique.unpacked.map { all - $0 } }
        saved.layers = total.layers - unique.layers
        return SizeReport(images: reported, total: total, unique: unique, saved: saved)
    }

    /// `layers` without repeats, first occurrence kept.
    static func once(_ layers: [SizeReport.Layer]) -> [SizeReport.Layer] {
        var seen: Set<Digest> = []
        return layers.filter { seen.insert($0.digest).inserted }
    }

    /// Reads an image's manifest and config from the cache, or from the registry.
    private func subject(_ image: DeclaredImage, _ platform: Platform, _ digest: Digest) async throws -> Subject {
        if store.hasBlob(digest), case let manifest = try store.imageManifest(digest),
            store.hasBlob(manifest.config.digest), manifest.layers.allSatisfy({ store.hasBlob($0.digest) })
        {
            let config = try ImageConfig.decode(try store.readBlob(manifest.config.digest))
            return Subject(image: image, platform: platform, digest: digest, manifest: manifest, config: config, cached: true)
        }
        guard let registry else {
            throw ImagesError.notInCache(reference: "\(image.written) \(platform)", cache: store.root)
        }
        let pinned = image.reference.pinned(to: digest)
        guard case .image(let manifest) = try await registry.fetchManifest(pinned).document else {
            throw ImagesError.notInCache(reference: "\(image.written) \(platform)", cache: store.root)
        }
        let config = try await ImageConfig.fetch(manifest.config, of: pinned, registry: registry, store: store)
        return Subject(image: image, platform: platform, digest: digest, manifest: manifest, config: config, cached: false)
    }

    /// The tar and unpacked sizes of every cached layer: recorded ones read, the others measured
    /// (`jobs` at a time) and recorded.
    private func layerSizes(of subjects: [Subject]) async throws -> [Digest: LayerSizes] {
        var sizes = try store.recordedLayerSizes()
        var toMeasure: [(Descriptor, Digest?)] = []
        /// The first image that has each layer, named in a layer's error.
        var owner: [Digest: String] = [:]
        for subject in subjects where subject.cached {
            for (position, layer) in subject.manifest.layers.enumerated() where sizes[layer.digest] == nil {
                guard owner[layer.digest] == nil else { continue }
                owner[layer.digest] = "\(subject.image.written) \(subject.platform)"
                let diffIDs = subject.config.rootfs.diffIDs
                toMeasure.append((layer, position < diffIDs.count ? diffIDs[position] : nil))
            }
        }
        guard !toMeasure.isEmpty else { return sizes }
        let store = self.store
        var measured: [Digest: LayerSizes] = [:]
        try await SlidingWindow.run(
            toMeasure, width: jobs, operation: { layer, diffID in try await store.measureLayer(layer, diffID: diffID) }
        ) { measuring, outcome in
            let digest = measuring.0.digest
            do {
                measured[digest] = try outcome.get()
            } catch {
                throw ImagesError.imagesFailed([(owner[digest] ?? digest.description, error)])
            }
        }
        try await store.recordLayerSizes(measured)
        sizes.merge(measured) { _, new in new }
        return sizes
    }
}
