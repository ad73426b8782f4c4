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
    /// come out as ArgumentParser prints them.
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
            exit(withError: error)
        } catch {
            // Error texts quote registries, daemons and files: never raw control characters.
            let text = String(describing: error).escapingControlCharacters(keepingNewlines: true)
            FileHandle.standardError.write(Data("error: \(text)\n".utf8))
            Foundation.exit(1)
        }
    }
}
