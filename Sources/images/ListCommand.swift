import ArgumentParser
import ImagesKit

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the images in the cache, or with --engine in the engine (Docker or Podman).",
        aliases: ["list"]
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Show the declared images as the engine sees them: present, missing or stale.")
    var engine = false

    func run() async throws {
        if engine { return try await listEngine() }
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

    func listEngine() async throws {
        let listings = try await global.withWorkspace(requireManifest: true) { try await $0.listInEngine() }
        if global.json { return try Output.printJSON(listings) }
        Output.printTable(
            ["IMAGE", "PLATFORM", "IMAGE ID", "STATUS", "SIZE"],
            listings.map { listing in
                [
                    listing.tag ?? listing.reference, listing.platform,
                    (listing.daemonID ?? listing.expectedID).map { String($0.dropFirst("sha256:".count).prefix(12)) } ?? "-",
                    listing.status.rawValue, listing.size.map(Output.size) ?? "-",
                ]
            }
        )
    }
}
