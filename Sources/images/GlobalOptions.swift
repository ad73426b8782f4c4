import ArgumentParser
import Foundation
import ImagesKit
import Logging

/// Options every subcommand accepts after its name.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The manifest to read (default: ./images.json).")
    var manifest: String = ImagesManifest.defaultFileName

    @Option(
        help: "The cache directory (default: $SWIFT_IMAGES_CACHE, else $XDG_CACHE_HOME/swift-images, else ~/.cache/swift-images)."
    )
    var cache: String?

    @Flag(help: "Print machine-readable JSON on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print every registry request on stderr.")
    var verbose = false

    func makeLogger() -> Logger {
        var logger = Logger(label: "swift-images") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    /// Runs `body` with a workspace, shutting it down whatever happens.
    func withWorkspace<T>(requireManifest: Bool, jobs: Int = 8, _ body: (Workspace) async throws -> T) async throws -> T {
        try await Workspace(
            manifestPath: manifest, cachePath: cache, requireManifest: requireManifest, jobs: jobs,
            logger: makeLogger()
        ).use(body)
    }
}
