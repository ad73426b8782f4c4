import HTTP1Client
import DockerEngineClient
import Foundation
import LayoutStore
import Logging
import OCIModel
import RegistryClient

/// A project's manifest, its lock and the cache, wired to a registry client and the engine: one
/// method per command of the tool. Use it within ``use(isolation:_:)``, or call ``shutdown()``
/// when done; ``Images/prepare(_:manifest:load:cache:environment:)`` does both for the common case.
public final class Workspace: Sendable {
    /// The manifest, or nil when there is none (commands that only read the cache work without).
    public let manifest: ImagesManifest?
    public let manifestPath: String
    package let store: LayoutStore
    package let registry: RegistryClient
    private let http: HTTPClient
    private let environment: [String: String]
    private let logger: Logger

    /// - Parameters:
    ///   - manifestPath: `images.json`.
    ///   - cachePath: the cache directory, or nil for ``defaultCachePath(environment:)``.
    ///   - requireManifest: fail when there is no manifest; without, only the commands that
    ///     read the cache alone work.
    ///   - jobs: concurrent downloads, which also bounds connections per registry.
    ///   - environment: where `DOCKER_CONFIG`, `HOME`, `SWIFT_IMAGES_CACHE` and `XDG_CACHE_HOME` are read.
    ///   - logger: warnings (a mirror that failed, a retry) and, at debug level, each request.
    public init(
        manifestPath: String = "images.json",
        cachePath: String? = nil,
        requireManifest: Bool = true,
        jobs: Int = 8,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "swift-images", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        self.manifestPath = manifestPath
        self.environment = environment
        self.logger = logger
        if requireManifest || FileManager.default.fileExists(atPath: manifestPath) {
            manifest = try ImagesManifest.load(path: manifestPath)
        } else {
            manifest = nil
        }
        store = try LayoutStore(root: cachePath ?? Self.defaultCachePath(environment: environment))
        http = RegistryClient.makeHTTPClient(
            connectionsPerHost: jobs,
            readTimeout: try Self.seconds("SWIFT_IMAGES_READ_TIMEOUT", in: environment) ?? .seconds(60))
        do {
            registry = RegistryClient(
                httpClient: http,
                registries: manifest?.registries ?? [:],
                credentials: CredentialChain([
                    EnvironmentCredentials(
                        (manifest?.registries ?? [:]).compactMapValues(\.credentialVariables), environment: environment),
                    try DockerConfigCredentials(environment: environment),
                ]),
                requestTimeout: try Self.seconds("SWIFT_IMAGES_REQUEST_TIMEOUT", in: environment)
                    ?? RegistryClient.defaultRequestTimeout,
                logger: logger,
                userAgent: Release.userAgent
            )
        } catch {
            http.shutdown()
            throw error
        }
    }

    /// The cache every project of a user shares: `$SWIFT_IMAGES_CACHE`, else
    /// `$XDG_CACHE_HOME/swift-images`, else `~/.cache/swift-images`.
    public static func defaultCachePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["SWIFT_IMAGES_CACHE"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/swift-images" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/swift-images"
    }

    /// A number of seconds from the environment, nil when unset: `SWIFT_IMAGES_READ_TIMEOUT`
    /// (how long a registry may send nothing before a request counts as broken and a download
    /// resumes; 60 s) and `SWIFT_IMAGES_REQUEST_TIMEOUT` (how long one request may take in all;
    /// 300 s, and for a blob that plus its size at 64 KiB/s).
    static func seconds(_ name: String, in environment: [String: String]) throws -> Duration? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        guard let seconds = Double(value), seconds > 0, seconds <= 86400 else {
            throw ImagesError.invalidEnvironment(
                name: name, value: value, expected: "a number of seconds up to 86400, such as 60 or 2.5")
        }
        return .milliseconds(Int(seconds * 1000))
    }

    /// Closes the HTTP client.
    public func shutdown() async throws {
        http.shutdown()
    }

    /// Runs `body` with this workspace, then shuts it down whatever happens.
    public func use<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (Workspace) async throws -> T
    ) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            try? await shutdown()
            throw error
        }
        try await shutdown()
        return result
    }

    var requiredManifest: ImagesManifest {
        get throws {
            guard let manifest else { throw ManifestError(path: manifestPath, keyPath: nil, message: ManifestError.noSuchFile) }
            return manifest
        }
    }

    /// The lock next to the manifest, if there is one.
    public func existingLock() throws -> Lockfile? {
        try Lockfile.load(path: requiredManifest.lockPath)
    }

    // MARK: Workflows

    /// `images lock`: resolves tags (all of them, or those named) and writes the lock when it changed.
    public func lock(update references: [String]) async throws -> [LockChange] {
        let manifest = try requiredManifest
        let scope: LockWorkflow.Scope =
            references.isEmpty
            ? .all
            : .only(try manifest.images(matching: references).map(\.reference))
        let existing = try existingLock()
        let (lock, changes) = try await LockWorkflow(registry: registry, store: store).run(
            manifest: manifest, existing: existing, scope: scope)
        if lock != existing { try lock.write(to: manifest.lockPath) }
        try await store.markUsed(
            manifest.images.flatMap { image in image.platforms.map { LayoutStore.imageKey(image.reference, $0) } })
        return changes
    }

    /// `images lock --check`: how the lock stands against the manifest; asks no registry and
    /// writes nothing.
    /// - Throws: ``ImagesError/lockMissing(path:)`` when there is no lock.
    public func checkLock() throws -> LockCheck {
        let manifest = try requiredManifest
        let lock = try Lockfile.loadRequired(path: manifest.lockPath)
        return lock.check(against: manifest)
    }

    /// `images pull`: locks what the lock lacks (unless `locked`), then pulls into the cache.
    /// - Parameters:
    ///   - filters: references to pull; empty means every declared image.
    ///   - locked: never change the lock; fail if it is missing or does not pin the images pulled.
    ///   - offline: make no network request; fail naming what is not cached.
    ///   - jobs: how many blobs download at once, across all images.
    ///   - progress: the pull's events (the plan, bytes received, each image done), as they happen.
    public func pull(
        filters: [String] = [], locked: Bool = false, offline: Bool = false, jobs: Int = 8,
        progress: @escaping @Sendable (PullEvent) -> Void = { _ in }
    ) async throws -> PullResult {
        let manifest = try requiredManifest
        let images = try manifest.images(matching: filters)
        var lock: Lockfile
        var changes: [LockChange] = []
        if locked || offline {
            lock = try Lockfile.loadPinning(images, path: manifest.lockPath)
        } else {
            let existing = try existingLock()
            (lock, changes) = try await LockWorkflow(registry: registry, store: store).run(
                manifest: manifest, existing: existing, scope: .missing)
            if lock != existing { try lock.write(to: manifest.lockPath) }
            let changed = changes.filter { $0.kind != .unchanged }
            if !changed.isEmpty { progress(.locked(changed)) }
        }
        let workflow = PullWorkflow(registry: offline ? nil : registry, store: store, jobs: jobs, progress: progress)
        return PullResult(changes: changes, images: try await workflow.run(images: images, lock: lock))
    }

    /// `images push --to`: copies the declared images (or those named), as the lock pins them,
    /// from the cache to `destination` (`registry[/prefix]`), for machines that name it a mirror.
    public func push(
        to destination: String, filters: [String] = [], jobs: Int = 8,
        progress: @escaping @Sendable (PushEvent) -> Void = { _ in }
    ) async throws -> [PushedImage] {
        let manifest = try requiredManifest
        let target: Mirror
        do {
            target = try Mirror(parsing: destination)
        } catch {
            throw ImagesError.invalidDestination(destination, reason: error.reason)
        }
        let images = try manifest.images(matching: filters)
        let lock = try Lockfile.loadPinning(images, path: manifest.lockPath)
        let workflow = PushWorkflow(registry: registry, store: store, destination: target, jobs: jobs, progress: progress)
        return try await workflow.run(images: images, lock: lock)
    }

    /// The Docker daemon at `$DOCKER_HOST`, else `/var/run/docker.sock`.
    package func engine() throws -> DockerEngineClient {
        try DockerEngineClient(host: nil, httpClient: http, environment: environment)
    }

    /// What the engine is (`Docker 26.1.5`, `Podman 4.3.1`), for the words that name it; nil
    /// when it cannot be asked.
    public func engineName() async -> String? {
        try? await engine().info().description
    }

    /// Concurrent pulls or tars into the daemon.
    public static let defaultLoadJobs = 4

    /// `images load`: puts cached images into the Docker daemon, skipping those it already has.
    /// - Parameters:
    ///   - filters: references to load; empty means every declared image.
    ///   - jobs: how many pulls or tars go to the daemon at once.
    ///   - method: nil for the daemon pulling from the cache on loopback, falling back to tars.
    public func load(filters: [String] = [], jobs: Int = Workspace.defaultLoadJobs, method: LoadMethod? = nil) async throws
        -> [LoadedImage]
    {
        let manifest = try requiredManifest
        let lock = try Lockfile.loadRequired(path: manifest.lockPath)
        return try await LoadWorkflow(engine: engine(), store: store, logger: logger).run(
            images: manifest.images(matching: filters), lock: lock, jobs: jobs, method: method)
    }

    /// `images report`: the sizes of declared images, per layer, per image and for the set.
    /// - Parameters:
    ///   - filters: references to report on; empty means every declared image.
    ///   - remote: report images that are not cached from their manifests (fetched from their
    ///     registries), compressed sizes only, instead of failing.
    public func report(filters: [String] = [], remote: Bool = false) async throws -> SizeReport {
        let manifest = try requiredManifest
        let lock = try Lockfile.loadRequired(path: manifest.lockPath)
        return try await ReportWorkflow(store: store, registry: remote ? registry : nil).run(
            images: manifest.images(matching: filters), lock: lock)
    }

    /// `images prune`: removes what this manifest neither declares nor keeps, and what was not
    /// used within the grace period, from the cache, or with `engine` from the Docker daemon.
    /// - Parameters:
    ///   - engine: prune the engine's images instead of the cache's.
    ///   - dryRun: say what would go, and remove nothing.
    ///   - keep: patterns added to the manifest's `prune.keep`.
    ///   - grace: replaces the manifest's `prune.grace`.
    public func prune(engine: Bool, dryRun: Bool, keep: [String] = [], grace: TimeInterval? = nil) async throws -> PruneReport {
        let manifest = try requiredManifest
        var settings = manifest.prune
        settings.keep += keep
        if let grace { settings.grace = grace }
        let workflow = PruneWorkflow(
            store: store, engine: engine ? try self.engine() : nil, declared: manifest.images, settings: settings)
        return engine ? try await workflow.pruneEngine(dryRun: dryRun) : try await workflow.pruneCache(dryRun: dryRun)
    }

    /// `images cache-key`: the key of the lock, for CI caches.
    public func cacheKey() throws -> String {
        let manifest = try requiredManifest
        let lock = try Lockfile.loadRequired(path: manifest.lockPath)
        return lock.cacheKey
    }

    /// `images verify`: re-hashes the cache; with `repair`, removes what is bad so that the next
    /// pull fetches it again.
    public func verify(repair: Bool) async throws -> VerifyReport {
        try await store.verify(repair: repair)
    }

    /// `images rm`: removes images from the cache, and with `engine` from the Docker daemon too.
    public func remove(_ arguments: [String], engine: Bool) async throws -> RemovalResult {
        let (images, freed) = try await RemoveWorkflow(store: store, engine: engine ? self.engine() : nil).run(arguments)
        return RemovalResult(images: images, freed: FreedSpace(blobs: freed.blobs, bytes: freed.bytes))
    }

    /// `images ls`: what the cache holds.
    public func list() throws -> [CachedImage] {
        try ListWorkflow(store: store).cached(declared: manifest?.images ?? [])
    }

    /// `images inspect REF`: manifest, config and layers of each cached platform of an image.
    public func inspect(_ text: String) throws -> [InspectedImage] {
        try InspectWorkflow(store: store).cached(text, declared: manifest?.images ?? [])
    }
}

/// What `images pull` did.
public struct PullResult: Sendable, Equatable {
    /// What changed in the lock before the pull (tags it pinned anew); empty when `locked`.
    public var changes: [LockChange]
    /// Each declared image and platform pulled, or found cached, or failed.
    public var images: [PulledImage]
}

/// What `images rm` did.
public struct RemovalResult: Sendable, Equatable {
    /// Each argument, and what became of it in the cache and the engine.
    public var images: [RemovedImage]
    /// What left the cache.
    public var freed: FreedSpace
}

/// What removing images freed in the cache.
public struct FreedSpace: Sendable, Equatable {
    /// Blobs that no remaining image needed.
    public var blobs: Int
    public var bytes: Int64
}
