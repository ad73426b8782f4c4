import ArgumentParser
import ImagesKit

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the images in the cache."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let images = try await global.withWorkspace(requireManifest: false) { try $0.list() }
        if global.json { return try Output.printJSON(images) }
        Output.printTable(
            ["REFERENCE", "PLATFORM", "DIGEST", "SIZE", "DECLARED"],
            images.map { image in
                [
                    image.reference, image.platform, image.digest.short, image.size.map(Output.size) ?? "?",
                    image.declared ? "yes" : "no",
                ]
            }
        )
    }
}
