import Foundation
import PackagePlugin

/// Writes `BuildInfo.swift` for the `images` tool: the commit it is built from (`git describe`,
/// so a tag when there is one, and `-dirty` for uncommitted changes), or nil when its package is
/// not a git checkout or git is not there. The file is rewritten only when that changes, so a
/// build with nothing new compiles nothing.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    static let script = #"""
        commit=$(git -C "$1" describe --always --dirty --abbrev=12 2>/dev/null) && value="\"$commit\"" || value=nil
        printf '/// Written by BuildInfoPlugin.\nenum BuildInfo {\n    static let commit: String? = %s\n}\n' "$value" > "$2.new"
        if cmp -s "$2.new" "$3/BuildInfo.swift"; then rm -f "$2.new"; else mv "$2.new" "$3/BuildInfo.swift"; fi
        """#

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let work = context.pluginWorkDirectoryURL
        let generated = work.appending(path: "Generated")
        try FileManager.default.createDirectory(at: generated, withIntermediateDirectories: true)
        return [
            .prebuildCommand(
                displayName: "Recording the commit of \(target.name)",
                executable: URL(filePath: "/bin/sh"),
                arguments: ["-c", Self.script, "build-info", context.package.directoryURL.path, work.appending(path: "BuildInfo").path, generated.path],
                outputFilesDirectory: generated)
        ]
    }
}
