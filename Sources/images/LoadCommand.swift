import ArgumentParser
import ImagesKit

extension LoadMethod: ExpressibleByArgument {}

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Put cached images into the engine (Docker or Podman).",
        discussion: """
            The daemon at $DOCKER_HOST (default unix:///var/run/docker.sock) pulls the images \
            from the cache, served read-only on a loopback port while it does, and they are \
            tagged as declared. Images it cannot get that way (a daemon in a VM, an image \
            declared by digest only) go in tars built on the fly from the cache. Images the \
            daemon already has under the declared tag with the same image ID are skipped. \
            Run 'images pull' first.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many pulls or tars go to the daemon at once.")
    var jobs = Workspace.defaultLoadJobs

    @Option(help: "Use only this way into the daemon: 'registry' (it pulls from the cache) or 'archive' (tars).")
    var via: LoadMethod?

    @Argument(help: "Images to load, as written in images.json (default: all).")
    var references: [String] = []

    func validate() throws {
        try validateJobs(jobs)
    }

    func run() async throws {
        let loaded = try await global.withWorkspace(requireManifest: true) {
            try await $0.load(filters: references, jobs: jobs, method: via)
        }
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
