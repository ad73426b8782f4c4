import ArgumentParser
import ImagesKit

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy the declared images from the cache to another registry, to serve as a mirror.",
        discussion: """
            Each image goes to DESTINATION/REPOSITORY with its declared tag: \
            'images push --to registry.internal:5000/hub' puts docker.io/library/postgres:16 at \
            registry.internal:5000/hub/library/postgres:16, where a machine whose images.json \
            names "registry.internal:5000/hub" in registries."docker.io".mirrors looks for it. \
            Digests stay the same; an index goes whole, its platforms the cache lacks fetched \
            from the image's registry. Blobs the destination has are skipped, blobs this cache \
            pushed to another of its repositories mounted. Needs the lock and the images in the cache \
            ('images pull --locked' first).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp("The registry, with an optional path prefix: HOST[:PORT][/PREFIX].", valueName: "destination"))
    var destination: String

    @Option(help: "How many blobs go at once.")
    var jobs = 8

    @Argument(help: "Images to push, as written in images.json (default: all).")
    var references: [String] = []

    func validate() throws {
        try validateJobs(jobs)
    }

    func run() async throws {
        let progress = TransferProgress(quiet: global.quiet || global.json)
        defer { progress.end() }
        let images = try await global.withWorkspace(requireManifest: true, jobs: jobs) { workspace in
            try await workspace.push(to: destination, filters: references, jobs: jobs) { event in
                switch event {
                case let .planned(images, _, bytes, pushing): progress.planned(images: images, bytes: bytes, working: pushing)
                case let .sent(bytes): progress.moved(bytes)
                case let .finished(image): progress.finished(image.reference, Self.line(for: image))
                }
            }
        }
        if global.json { return try Output.printJSON(["images": images]) }
        guard !global.quiet else { return }
        let uploaded = images.reduce(0) { $0 + $1.uploadedBytes }
        Output.printError("\(images.count) images pushed to \(destination), \(Output.size(uploaded)) uploaded")
    }

    static func line(for image: PushedImage) -> String {
        var line = "\(Output.paint("pushed", .green)) \(image.reference) to \(image.target) \(image.digest.short): "
        line += "\(image.uploaded) blobs uploaded (\(Output.size(image.uploadedBytes))), \(image.mounted) mounted, "
        line += "\(image.present) present"
        if image.completedFromSource > 0 { line += "; \(image.completedFromSource) fetched to complete its index" }
        return line
    }
}
