import ArgumentParser
import ImagesKit
import LayoutStore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every byte of the cache; with --repair, remove what is bad.",
        discussion: """
            Re-hashes every blob, decompresses the layers whose diff_id is recorded (measured by \
            'images report') and checks that every cached image has all its blobs. Exits 0 when \
            the cache is sound, 1 when anything was corrupt, missing or stray (also when \
            --repair removed it: the next 'images pull' fetches it again).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Remove corrupt and stray blobs, and partial downloads of dead processes.")
    var repair = false

    func run() async throws {
        let report = try await global.withWorkspace(requireManifest: false) { try await $0.verify(repair: repair) }
        if global.json {
            try Output.printJSON(report)
        } else {
            for problem in report.problems { Output.printError(problem.description) }
            if !global.quiet {
                var summary =
                    "checked \(report.blobs) blobs (\(Output.size(report.bytes))), \(report.layersDecompressed) layers decompressed: "
                summary += report.isSound ? "sound" : "\(report.problems.count) problems"
                if report.abandonedIngestsRemoved > 0 {
                    summary += "; removed \(report.abandonedIngestsRemoved) partial downloads"
                }
                Output.printError(summary)
                if report.problems.contains(where: { $0.removed || $0.kind == .missing }) {
                    Output.printError("run 'images pull' to fetch what is missing")
                }
            }
        }
        if !report.isSound { throw ExitCode.failure }
    }
}
