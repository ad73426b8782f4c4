import ArgumentParser
import Foundation
import ImagesKit

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write an images.json declaring the images the repository already names.",
        discussion: """
            Looks at the files under the manifest's directory: FROM lines of Dockerfiles and \
            Containerfiles, image: of compose files and .gitlab-ci.yml, container:, services: \
            and docker:// steps of GitHub workflows. Says where it found each image, and which \
            mentions it left out (a reference made of variables without a default). Platforms: \
            linux/amd64, the CI runners', and this machine's. Then run images lock.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the images.json instead of writing it.")
    var dryRun = false

    @Flag(help: "Replace an existing images.json.")
    var force = false

    func run() throws {
        let path = global.manifest
        let directory = (path as NSString).deletingLastPathComponent
        let sources = ImageSources.scan(directory: directory.isEmpty ? "." : directory)
        if global.json { return try Output.printJSON(sources) }
        if !global.quiet {
            for image in sources.found {
                let platform = image.platform.map { " \($0)" } ?? ""
                Output.printError("found \(image.reference)\(platform) in \(image.sources.joined(separator: ", "))")
            }
            for skipped in sources.skipped {
                Output.printError("\(Output.paint("left out", .dim)) \(skipped.text) in \(skipped.source): \(skipped.reason)")
            }
        }
        guard !sources.found.isEmpty else {
            throw ValidationError(
                "found no image in Dockerfiles, compose files or CI configurations under \(directory.isEmpty ? "." : directory): "
                    + "write \(path) by hand (its format: docs/reference.md)")
        }
        let text = sources.manifestText()
        if dryRun { return print(text, terminator: "") }
        if !force, FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists: --force replaces it, --dry-run prints what would be written")
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
        if !global.quiet {
            Output.printError("wrote \(path): \(sources.found.count) images; next: images lock, then commit both files")
        }
    }
}
