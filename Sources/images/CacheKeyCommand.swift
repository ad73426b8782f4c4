import ArgumentParser
import ImagesKit

struct CacheKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache-key",
        abstract: "Print a key for CI caches, derived from images.lock.json.",
        discussion: """
            The same lock gives the same key on any machine; any digest or platform change, or a \
            new cache format, gives another. Use it as the key of actions/cache or GitLab's \
            cache:key, so that a restored cache holds exactly the locked images.
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let key = try await global.withWorkspace(requireManifest: true) { try $0.cacheKey() }
        if global.json {
            struct Document: Encodable { var key: String }
            return try Output.printJSON(Document(key: key))
        }
        print(key)
    }
}
