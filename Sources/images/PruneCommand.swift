import ArgumentParser
import Foundation
import ImagesKit
import OCIModel

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove images this project does not declare, from the cache or the engine (Docker or Podman).",
        discussion: """
            The manifest is the allow-list: a declared image is never removed. Neither is one \
            whose name matches a keep pattern (images.json "prune.keep", and --keep), nor one \
            used within the grace period (pulled, locked or loaded by this tool, from any \
            project sharing the cache; for a daemon image without such a record, built), nor, \
            with --engine, one any container (running or stopped) uses. In the cache, every \
            blob no remaining image needs goes too. --engine asks before removing on a \
            terminal, and refuses without one unless --yes is given.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Prune the engine's images instead of the cache.")
    var engine = false

    @Flag(help: "Print what would be removed and kept, and remove nothing.")
    var dryRun = false

    @Option(help: "Keep images used this recently: 0, 90m, 24h, 7d (default: images.json's prune.grace, else 24h).")
    var grace: String?

    @Option(parsing: .upToNextOption, help: "More name patterns to keep, like 'acme/*' or 'redis:*'.")
    var keep: [String] = []

    @Flag(name: .shortAndLong, help: "Do not ask before removing images from the daemon.")
    var yes = false

    func validate() throws {
        if let grace, PruneSettings.parseDuration(grace) == nil {
            throw ValidationError("--grace '\(grace)' is not a duration (write it like 0, 90m, 24h or 7d)")
        }
    }

    struct NotConfirmed: Error, CustomStringConvertible {
        var description: String {
            "prune --engine removes images from the engine: pass --yes to confirm (or --dry-run to see what it would remove)"
        }
    }

    func run() async throws {
        let graceInterval = grace.flatMap(PruneSettings.parseDuration)
        let (report, place) = try await global.withWorkspace(requireManifest: true) { workspace in
            let place = engine ? (await workspace.engineName()).map { "the engine (\($0))" } ?? "the engine" : "the cache"
            if engine && !dryRun && !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw NotConfirmed() }
                let plan = try await workspace.prune(engine: true, dryRun: true, keep: keep, grace: graceInterval)
                printReport(plan, from: place)
                guard !plan.removed.isEmpty else { return (plan, place) }
                FileHandle.standardError.write(Data("Remove these \(plan.removed.count) images from \(place)? [y/N] ".utf8))
                guard let answer = readLine()?.lowercased(), answer == "y" || answer == "yes" else { throw ExitCode.failure }
            }
            return (try await workspace.prune(engine: engine, dryRun: dryRun, keep: keep, grace: graceInterval), place)
        }
        if global.json { return try Output.printJSON(report) }
        if !global.quiet { printReport(report, from: place) }
    }

    /// What was (or would be) removed and what was kept, on stdout: the command's result.
    private func printReport(_ report: PruneReport, from place: String) {
        for image in report.removed {
            let what = [image.name, image.platform].compactMap { $0 }.joined(separator: " ").escapingControlCharacters()
            let verb = Output.paint(report.dryRun ? "would remove" : "removed", .red, on: STDOUT_FILENO)
            print("\(verb) \(what) (\(Output.size(image.size)))")
        }
        for image in report.kept {
            let what = [image.name, image.platform].compactMap { $0 }.joined(separator: " ")
            let why = image.kept?.description ?? ""
            print("\(Output.paint("kept", .dim, on: STDOUT_FILENO)) \((what + ": " + why).escapingControlCharacters())")
        }
        print(
            "\(report.removed.count) \(report.dryRun ? "to remove" : "removed") from \(place), \(report.kept.count) kept, "
                + "\(Output.size(report.reclaimedBytes)) \(report.dryRun ? "to reclaim" : "reclaimed")")
    }
}
