import ArgumentParser
import ImagesKit

struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Resolve every declared tag to a digest and write images.lock.json.",
        discussion: """
            Asks the registry for every tag, rewrites only the entries whose tag moved, and says \
            which moved. With --update REF…, only those images are asked about (images the lock \
            does not pin yet are always resolved). With --check, asks no registry and writes \
            nothing: exits 1 when the lock does not pin what images.json declares.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Re-resolve only the images named after it.")
    var update = false

    @Flag(help: "Write nothing; exit 1 when the lock does not pin what images.json declares (for CI and bots).")
    var check = false

    @Argument(help: "With --update: the images to re-resolve, as written in images.json.")
    var references: [String] = []

    func validate() throws {
        if !references.isEmpty, !update {
            throw ValidationError("name images only with --update (images lock --update REF…)")
        }
        if check, update { throw ValidationError("--check writes nothing: give --check or --update, not both") }
    }

    func run() async throws {
        if check { return try await runCheck() }
        let changes = try await global.withWorkspace(requireManifest: true) { workspace in
            try await workspace.lock(update: references)
        }
        if global.json { return try Output.printJSON(changes) }
        guard !global.quiet else { return }
        for change in changes where change.kind != .unchanged {
            print(describe(change))
        }
        let moved = changes.filter { $0.kind != .unchanged }.count
        print(
            moved == 0
                ? "lock is up to date (\(Output.counted(changes.count, "image")))"
                : "lock updated: \(moved) of \(Output.counted(changes.count, "image")) changed")
    }
}

extension LockCommand {
    /// `--check`: one line per disagreement on stdout, then exit 1 if there was any.
    func runCheck() async throws {
        let (result, lockPath) = try await global.withWorkspace(requireManifest: true) { workspace in
            (try workspace.checkLock(), workspace.manifest?.lockPath ?? Lockfile.fileName)
        }
        if global.json {
            try Output.printJSON(result)
        } else {
            for reference in result.unpinned { print("not pinned as declared: \(reference)") }
            for reference in result.undeclared { print("no longer declared: \(reference)") }
        }
        guard result.isUpToDate else {
            throw ImagesError.lockOutdated(path: lockPath, images: result.unpinned + result.undeclared)
        }
        if !global.json, !global.quiet { print("\(lockPath) pins what images.json declares") }
    }
}

/// One line for a lock change: `moved postgres:16 sha256:… → sha256:…`.
func describe(_ change: LockChange) -> String {
    switch change.kind {
    case .added: "locked \(change.ref) \(change.newDigest?.description ?? "")"
    case .moved: "moved \(change.ref) \(change.oldDigest?.description ?? "") → \(change.newDigest?.description ?? "")"
    case .platformsChanged: "platforms changed \(change.ref) \(change.newDigest?.description ?? "")"
    case .unchanged: "unchanged \(change.ref)"
    case .removed: "removed \(change.ref) (no longer declared)"
    }
}
