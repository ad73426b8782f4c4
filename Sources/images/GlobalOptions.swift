import ArgumentParser
import Foundation
import ImagesKit
import Logging
import OCIModel

/// Options every subcommand accepts after its name.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The manifest to read.")
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
        var logger = Logger(label: "swift-images") { _ in ToolLogHandler(detailed: verbose) }
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

/// Log lines on stderr, above the progress bar, every control character escaped (warnings quote
/// registries' and daemons' words, which must not reach a terminal as escape sequences). Plain,
/// warnings read like the tool's other lines (`warning: …`); with `-v` every event has its time,
/// level and module.
struct ToolLogHandler: LogHandler {
    var logLevel: Logger.Level = .warning
    var metadata: Logger.Metadata = [:]
    /// Times, levels and modules (`-v`).
    let detailed: Bool

    init(detailed: Bool) { self.detailed = detailed }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = event.message.description
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }
        if !fields.isEmpty { line += " " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        line = line.escapingControlCharacters()
        if detailed {
            Output.printError("\(Date().formatted(.iso8601)) \(event.level) [\(event.source)] \(line)")
        } else {
            Output.printError("\(event.level >= .error ? "error" : event.level == .warning ? "warning" : "\(event.level)"): \(line)")
        }
    }
}
