import ArgumentParser
import Foundation
import ImagesKit
import Logging
import OCIModel

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
        var logger = Logger(label: "swift-images") { EscapingLogHandler(StreamLogHandler.standardError(label: $0)) }
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

/// The most transfers `--jobs` may ask for: more would open more connections than any registry
/// or daemon serves at once, and only queue.
let maximumJobs = 64

/// Checks a `--jobs` value.
func validateJobs(_ jobs: Int) throws {
    guard (1...maximumJobs).contains(jobs) else { throw ValidationError("--jobs must be between 1 and \(maximumJobs)") }
}

/// Writes log lines through another handler with every control character escaped: warnings
/// quote registries' and daemons' words, which must not reach a terminal as escape sequences.
struct EscapingLogHandler: LogHandler {
    var base: StreamLogHandler

    init(_ base: StreamLogHandler) { self.base = base }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: event.message.description.escapingControlCharacters())
        base.log(event: event)
    }
}
