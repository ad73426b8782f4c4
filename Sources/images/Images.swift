import ArgumentParser
import Foundation
import ImagesKit
import OCIModel

@main
struct Images: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Pre-pull, pin and cache the container images a project depends on.",
        discussion: """
            Reads images.json, pins every image to a digest in images.lock.json, and pulls them \
            into a shared OCI image-layout cache that CI can save and restore.
            """,
        version: Images.version,
        subcommands: [
            InitCommand.self, LockCommand.self, PullCommand.self, LoadCommand.self, ListCommand.self, InspectCommand.self, ReportCommand.self,
            PushCommand.self, PruneCommand.self, RemoveCommand.self, VerifyCommand.self, CacheKeyCommand.self,
        ]
    )

    /// This release, and the commit it was built from when built from a git checkout:
    /// `0.1.0 (658d404abcde)`.
    static let version = Release.version + (BuildInfo.commit.map { " (\($0))" } ?? "")

    /// Runs the command; failures print `error: …` on stderr and exit non-zero, usage errors
    /// as ArgumentParser words them (in the same `error: …` form) and exit 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error
            where error is ExitCode || error is CleanExit || error is ValidationError
            || String(reflecting: type(of: error)).contains("ArgumentParser")
        {
            let code = exitCode(for: error)
            guard code != .success, !(error is ExitCode) else { exit(withError: error) }
            FileHandle.standardError.write(Data(usageMessage(for: error, arguments: Array(CommandLine.arguments.dropFirst())).utf8))
            Foundation.exit(code.rawValue)
        } catch {
            // Error texts quote registries, daemons and files: never raw control characters.
            let text = String(describing: error).escapingControlCharacters(keepingNewlines: true)
            StatusLine.shared.clear()
            FileHandle.standardError.write(Data("error: \(text)\(hint(for: error).map { " (\($0))" } ?? "")\n".utf8))
            Foundation.exit(1)
        }
    }

    /// What to type about an error, where the library only says what went wrong.
    static func hint(for error: any Error) -> String? {
        switch error {
        case ImagesError.lockMissing, ImagesError.lockOutdated: "run 'images lock' and commit it"
        case ImagesError.notInCache: "run 'images pull'"
        case ImagesError.pushCollision: "push them with separate --to prefixes"
        case let error as LockfileError where error.isMalformed: "delete it and run 'images lock' to write it anew"
        case let error as ManifestError where error.keyPath == nil && error.message == ManifestError.noSuchFile:
            "create one with 'images init', or pass --manifest PATH"
        default: nil
        }
    }

    /// ArgumentParser's message for a usage error in the tool's own form (`error: …`), and for
    /// a mistyped subcommand (`images pul`) the one probably meant.
    static func usageMessage(for error: any Error, arguments: [String]) -> String {
        var message = fullMessage(for: error)
        if message.hasPrefix("Error: ") { message = "error: " + message.dropFirst("Error: ".count) }
        if let word = arguments.first(where: { !$0.hasPrefix("-") }),
            message.hasPrefix("error: Unexpected argument '\(word)'"),
            let meant = closestSubcommand(to: word)
        {
            let firstLine = message.prefix { $0 != "\n" }
            message = "\(firstLine). Did you mean '\(meant)'?" + message.dropFirst(firstLine.count)
        }
        return message.hasSuffix("\n") ? message : message + "\n"
    }

    /// The subcommand name or alias nearest to `word`, if one is near enough to be a typo: at
    /// most two edits away (one for short words), or `word` a prefix of exactly one name.
    static func closestSubcommand(to word: String) -> String? {
        let names = configuration.subcommands.flatMap { [$0.configuration.commandName ?? ""] + $0.configuration.aliases }
        let prefixed = names.filter { $0.hasPrefix(word) }
        if word.count >= 2, prefixed.count == 1 { return prefixed[0] }
        let allowed = word.count <= 3 ? 1 : 2
        return names.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= allowed }.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
