import Foundation
import PackagePlugin

/// Writes `BuildInfo.swift` for the `images` tool: the commit it is built from (`git describe`,
/// so a tag when there is one, and `-dirty` for uncommitted changes), or nil when its package is
/// not a git checkout or git is not there.
///
/// A build command, not a prebuild one: SwiftPM skips prebuild commands when no source changed
/// (swiftlang/swift-package-manager#5476), so a commit alone left the old commit in the binary.
/// This command runs when git's state changes (a commit, checkout or reset moves `HEAD` and
/// appends to its log; staging rewrites the index) or any of the package's sources does, and it
/// rewrites the file only when its text changes, so that a build with nothing new compiles nothing.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    static let script = #"""
        commit=$(git -C "$1" describe --always --dirty --abbrev=12 2>/dev/null) && value="\"$commit\"" || value=nil
        printf '/// Written by BuildInfoPlugin.\nenum BuildInfo {\n    static let commit: String? = %s\n}\n' "$value" > "$2.new"
        if cmp -s "$2.new" "$2"; then rm -f "$2.new"; else mv "$2.new" "$2"; fi
        """#

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildInfo.swift")
        let package = context.package.directoryURL
        // Only files that exist: a checkout without `.git` (or with `.git` as a file, a worktree)
        // has sources alone as inputs.
        let gitState = ["HEAD", "logs/HEAD", "index", "packed-refs"]
            .map { package.appending(path: ".git/" + $0) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        let sources = context.package.targets.flatMap { ($0 as? SourceModuleTarget)?.sourceFiles.map(\.url) ?? [] }
        return [
            .buildCommand(
                displayName: "Recording the commit of \(target.name)",
                executable: URL(filePath: "/bin/sh"),
                arguments: ["-c", Self.script, "build-info", package.path, output.path],
                inputFiles: gitState + sources,
                outputFiles: [output])
        ]
    }
}
