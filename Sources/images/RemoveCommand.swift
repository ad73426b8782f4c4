import ArgumentParser
import ImagesKit
import OCIModel

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove images from the cache, and with --engine from the engine (Docker or Podman).",
        discussion: """
            Takes references or image IDs (12 or more hex characters), like 'docker image rm'. \
            Removes the cache entries, then every blob no other cached image needs. With \
            --engine, also untags or deletes the image in the daemon, unless a container \
            (running or stopped) uses it: then it says which, and goes on with the other \
            arguments. Never forces.
            """,
        aliases: ["remove"]
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Remove from the engine too.")
    var engine = false

    @Argument(help: "References or image IDs.")
    var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("name at least one image to remove") }
    }

    func run() async throws {
        let (removed, freed, engineName) = try await global.withWorkspace(requireManifest: false) { workspace in
            let removal = try await workspace.remove(images, engine: engine)
            return (removal.images, removal.freed, engine ? await workspace.engineName() : nil)
        }
        if global.json {
            struct Result: Encodable {
                var images: [RemovedImage]
                var freedBlobs: Int
                var freedBytes: Int64
            }
            try Output.printJSON(Result(images: removed, freedBlobs: freed.blobs, freedBytes: freed.bytes))
        } else if !global.quiet {
            for image in removed where image.error == nil {
                // Names come from the cache and the daemon: shown escaped.
                for entry in image.cacheEntries { print("removed \(entry.escapingControlCharacters()) from the cache") }
                for line in image.engine ?? [] {
                    print("\(line.escapingControlCharacters()) (\(engineName ?? "engine"))")
                }
            }
            print("freed \(freed.blobs) blobs, \(Output.size(freed.bytes))")
        }
        let failed = removed.filter { $0.error != nil }
        for image in failed { Output.printError("error: \(image.error!.escapingControlCharacters())") }
        if !failed.isEmpty { throw ExitCode.failure }
    }
}
