import ArgumentParser
import Foundation
import ImagesKit

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report what the declared images cost, layer by layer, and check their size budgets.",
        discussion: """
            Three sizes per layer: compressed (the blob: what is downloaded and what a CI cache \
            stores), tar (the uncompressed stream the config's diff_ids hash) and unpacked (the \
            files, as Docker counts an image's Size and docker history a layer's). The last two \
            are measured by decompressing each cached layer once, checking it against its diff_id, \
            and recorded in the cache. Sizes in SI units, like Docker (1 MB = 1,000,000 bytes).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, markdown
    }

    @OptionGroup var global: GlobalOptions

    @Option(help: "table, json or markdown (default: table; json with --json).")
    var format: Format?

    @Flag(help: "Also append the Markdown report to the file named by $GITHUB_STEP_SUMMARY.")
    var summary = false

    @Flag(help: "Check the budgets of images.json: exit 1 when one is exceeded.")
    var check = false

    @Flag(help: "Report images that are not cached from their manifests (compressed sizes only).")
    var remote = false

    @Argument(help: "Images to report on, as written in images.json (default: all).")
    var references: [String] = []

    func run() async throws {
        let (report, checks) = try await global.withWorkspace(requireManifest: true) { workspace in
            let report = try await workspace.report(filters: references, remote: remote)
            return (report, check ? workspace.manifest.map(report.check) ?? [] : [])
        }
        let format = format ?? (global.json ? .json : .table)
        switch format {
        case .json:
            struct Document: Encodable {
                var report: SizeReport
                var budgets: [BudgetCheck]?
            }
            try Output.printJSON(Document(report: report, budgets: check ? checks : nil))
        case .markdown:
            print(ReportRendering.markdown(report, checks: check ? checks : nil), terminator: "")
        case .table:
            print(ReportRendering.table(report, width: Output.terminalColumns(STDOUT_FILENO)), terminator: "")
        }
        if summary { try appendSummary(ReportRendering.markdown(report, checks: check ? checks : nil)) }
        guard check else { return }
        if checks.isEmpty { Output.printError("warning: --check: no budgets in \(global.manifest)") }
        // Under the table, as its last lines; JSON and Markdown hold the checks themselves, and
        // stdout must stay one document: there the lines go to the log.
        for check in checks {
            if format == .table {
                print(ReportRendering.line(for: check, on: STDOUT_FILENO))
            } else {
                Output.printError(ReportRendering.line(for: check, on: STDERR_FILENO))
            }
        }
        let exceeded = checks.filter(\.exceeded)
        if !exceeded.isEmpty {
            Output.printError("error: \(exceeded.count) of \(checks.count) budgets exceeded")
            throw ExitCode.failure
        }
    }

    private func appendSummary(_ markdown: String) throws {
        guard let path = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else {
            Output.printError("note: --summary: GITHUB_STEP_SUMMARY is not set, no summary written")
            return
        }
        guard let file = FileHandle(forWritingAtPath: path) ?? createFile(path) else {
            throw ValidationError("--summary: cannot write GITHUB_STEP_SUMMARY=\(path)")
        }
        defer { try? file.close() }
        try file.seekToEnd()
        try file.write(contentsOf: Data(markdown.utf8))
    }

    private func createFile(_ path: String) -> FileHandle? {
        FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil
    }
}
