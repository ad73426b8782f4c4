import ArgumentParser
import ImagesKit

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the manifest, config and layers of a cached image as JSON (or the daemon's view with --engine)."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The image reference.")
    var reference: String

    @Flag(help: "Show the engine's view instead (image inspect and history).")
    var engine = false

    func run() async throws {
        if engine {
            let json = try await global.withWorkspace(requireManifest: false) { try await $0.inspectInEngine(reference) }
            return print(String(decoding: json, as: UTF8.self))
        }
        let images = try await global.withWorkspace(requireManifest: false) { try $0.inspect(reference) }
        try Output.printJSON(images)
    }
}
