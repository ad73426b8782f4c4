import ArgumentParser
import ImagesKit
import RegistryClient

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull the declared images into the cache.",
        discussion: """
            Without --locked, images the lock does not pin yet are resolved and the lock is \
            written, as 'images lock' does. With the lock present and everything cached, no \
            network request is made.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Never change the lock; fail if it is missing or does not match the manifest (CI).")
    var locked = false

    @Flag(help: "Make no network request; fail naming what is not in the cache.")
    var offline = false

    @Flag(help: "Then load the images into the engine (Docker or Podman), as 'images load' does.")
    var load = false

    @Option(help: "How many blobs download at once.")
    var jobs = 8

    @Argument(help: "Images to pull, as written in images.json (default: all).")
    var references: [String] = []

    func validate() throws {
        try validateJobs(jobs)
    }

    func run() async throws {
        let progress = PullProgress(quiet: global.quiet || global.json)
        defer { progress.transfer.end() }
        let (changes, images, loaded, rateLimits) = try await global.withWorkspace(requireManifest: true, jobs: jobs) {
            workspace in
            let pulled = try await workspace.pull(
                filters: references, locked: locked, offline: offline, jobs: jobs, progress: progress.handle)
            let loaded = load ? try await workspace.load(filters: references) : nil
            return (pulled.changes, pulled.images, loaded, workspace.registry.rateLimits)
        }
        if global.json {
            struct Result: Encodable {
                var lock: [LockChange]
                var images: [PulledImage]
                var loaded: [LoadedImage]?
                /// Per registry, the pull rate limit it reported, if any.
                var rateLimits: [String: RateLimit]
            }
            return try Output.printJSON(Result(lock: changes, images: images, loaded: loaded, rateLimits: rateLimits))
        }
        if global.verbose {
            for (registry, limit) in rateLimits.sorted(by: { $0.key < $1.key }) {
                Output.printError("\(registry): rate limit \(limit)")
            }
        }
        guard !global.quiet else { return }
        // Images as declared; an image of several platforms counts once.
        let declared = Set(images.map(\.reference)).count
        let pulled = Set(images.filter { $0.status == .pulled }.map(\.reference)).count
        let platforms = declared == images.count ? "" : " (\(images.count) with their platforms)"
        let fetched = images.reduce(0) { $0 + $1.fetchedBytes }
        Output.printError(
            "\(Output.counted(declared, "image")) ready\(platforms), \(pulled) pulled, \(Output.size(fetched)) fetched")
        if let loaded { printLoaded(loaded) }
    }
}
