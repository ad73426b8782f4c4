import ArgumentParser
import ImagesKit

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Put cached images into the Docker daemon.",
        discussion: """
            Streams one tar, built on the fly from the cache, to the daemon at $DOCKER_HOST \
            (default unix:///var/run/docker.sock). Images the daemon already has under the \
            declared tag with the same image ID are skipped. Run 'images pull' first.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many tars go to the daemon at once (images split among them); 1 sends one tar.")
    var jobs = Workspace.defaultLoadJobs

    @Argument(help: "Images to load, as written in images.json (default: all).")
    var references: [String] = []

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let loaded = try await global.withWorkspace(requireManifest: true) { try await $0.load(filters: references, jobs: jobs) }
        if global.json { return try Output.printJSON(loaded) }
        guard !global.quiet else { return }
        printLoaded(loaded)
    }
}

/// One line per image, then a summary, on stderr.
func printLoaded(_ images: [LoadedImage]) {
    for image in images {
        let name = image.tag ?? image.reference
        let id = String(image.imageID.dropFirst("sha256:".count).prefix(12))
        switch image.status {
        case .loaded:
            Output.printError(
                "\(Output.paint("loaded", .green)) \(name) \(image.platform) \(id) (\(Output.size(image.sentBytes)))")
        case .present:
            Output.printError("\(Output.paint("present", .dim)) \(name) \(image.platform) \(id) (already in the daemon)")
        }
    }
    let loaded = images.filter { $0.status == .loaded }
    Output.printError(
        "\(loaded.count) loaded, \(images.count - loaded.count) already present, \(Output.size(loaded.reduce(0) { $0 + $1.sentBytes })) sent"
    )
}
