import ArgumentParser
import ImagesKit
import LayoutStore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every byte of the cache; with --repair, remove what is bad.",
        discussion: """
            Re-hashes every blob, decompresses the layers whose diff_id is recorded (measured by \
            'images report') and checks that every cached image has all its blobs. Prints each \
            problem and a summary on stdout. Exits 0 when the cache is sound, or when --repair \
            removed every problem and no image lacks a blob; 1 otherwise (then 'images pull' \
            fetches what the images lack).
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
            for problem in report.problems { print(problem.description) }
            if !global.quiet {
                var summary =
                    "checked \(report.blobs) blobs (\(Output.size(report.bytes))), \(report.layersDecompressed) layers decompressed: "
                let removed = report.problems.filter(\.removed).count
                if report.isSound {
                    summary += "sound"
                } else {
                    summary += Output.counted(report.problems.count, "problem")
                    if removed > 0 { summary += removed == report.problems.count ? ", all removed" : ", \(removed) removed" }
                }
                if report.abandonedIngestsRemoved > 0 {
                    summary += "; removed \(Output.counted(report.abandonedIngestsRemoved, "partial download"))"
                }
                print(summary)
            }
            if !report.incompleteImages.isEmpty {
                Output.printError(
                    "run 'images pull' to fetch the blobs these images lack: "
                        + report.incompleteImages.joined(separator: ", "))
            }
        }
        if !report.isSoundNow { throw ExitCode.failure }
    }
}
