import ArgumentParser
import ImagesKit

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the manifest, config and layers of a cached image as JSON."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The image reference.")
    var reference: String

    func run() async throws {
        let images = try await global.withWorkspace(requireManifest: false) { try $0.inspect(reference) }
        try Output.printJSON(images)
    }
}
