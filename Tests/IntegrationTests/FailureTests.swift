import Foundation
import ImagesKit
import LayoutStore
import OCIModel
import Testing

/// Bad input and broken registries: a clear error, and nothing wrong left behind.
@Suite(.needsTestServices) struct FailureTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    @Test func aTagThatDoesNotExistNamesTheImageAndTheRegistryAnswer() async throws {
        let project = try Project(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/base:nope"])
        await #expect {
            try await project.withWorkspace {
                try await $0.pull()
            }
        } throws: { error in
            let text = String(describing: error)
            return text.contains("\(services.registry)/test/base:nope") && text.contains("MANIFEST_UNKNOWN")
                && text.contains("not found on \(services.registry)")
        }
        #expect(!FileManager.default.fileExists(atPath: project.lockPath))
        #expect(try LayoutStore(root: project.cache).index().manifests.isEmpty)
    }

    @Test func aRegistryThatIsDownSaysSo() async throws {
        let port = try run(
            "python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]
        ).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let project = try Project(images: ["127.0.0.1:\(port)/app:1"])
        await #expect {
            try await project.withWorkspace { try await $0.lock(update: []) }
        } throws: { error in
            let text = String(describing: error)
            return text.contains("cannot reach registry 127.0.0.1:\(port)") && text.contains("refused")
        }
        #expect(!FileManager.default.fileExists(atPath: project.lockPath))
    }

    /// A name that does not exist (`.invalid`, RFC 2606) fails at once: no retry can fix it.
    @Test func aHostNameThatDoesNotResolveIsNotRetried() throws {
        let project = try Project(images: ["registry.swift-images.invalid/app:1"])
        let result = try images(["lock"], in: project)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot resolve the host name registry.swift-images.invalid ("), "\(result.stderr)")
        if !result.stderr.contains("Temporary failure") {  // a resolver that is down is retried
            #expect(!result.stderr.contains("retry"), "\(result.stderr)")
        }
    }

    @Test func aBlobServedWithWrongContentIsDiscardedAndNamed() async throws {
        let repository = TestServices.uniqueRepository()
        try services.pushRandomImage("\(repository)/app:1", bytes: 50_000)
        let project = try Project(images: ["\(services.registry)/\(repository)/app:1"])
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        // Corrupt the layer inside the registry's own storage: same length, other bytes.
        let store = try LayoutStore(root: project.cache)
        let manifestDigest = try #require(try Lockfile.load(path: project.lockPath)?.images.first?.digest)
        guard case .image(let manifest) = try ManifestDocument.decode(store.readBlob(manifestDigest), contentType: nil) else {
            Issue.record("expected an image manifest")
            return
        }
        let layer = try #require(manifest.layers.first)
        let hex = layer.digest.encoded
        let stored = "\(services.registryStorage)/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
        try Data(repeating: 0x42, count: Int(layer.size)).write(to: URL(fileURLWithPath: stored))

        await #expect {
            try await project.withWorkspace {
                try await $0.pull(locked: true)
            }
        } throws: { error in
            let text = String(describing: error)
            return text.contains(layer.digest.description) && text.contains("nothing was stored")
        }
        #expect(!store.hasBlob(layer.digest))
        #expect(try project.strayFiles().isEmpty)
        #expect(try store.index().manifests.isEmpty)
    }

    @Test func anUnwritableCacheNamesThePath() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1"])
        #expect(FileManager.default.createFile(atPath: project.directory + "/not-a-directory", contents: Data("x".utf8)))
        let result = try images(["pull", "--cache", project.directory + "/not-a-directory/cache"], in: project)
        #expect(result.status != 0)
        #expect(result.stderr == "error: cannot write the cache at \(project.directory)/not-a-directory/cache: Not a directory\n")
        #expect(!FileManager.default.fileExists(atPath: project.lockPath))
    }

    @Test func aBrokenManifestFileIsReportedWithFileAndKeyPath() throws {
        let project = try Project(images: [#"{"ref": "alpine", "platfrom": "linux/amd64"}"#])
        let result = try images(["pull"], in: project)
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "error: images.json: images[0].platfrom: unknown key 'platfrom' (expected one of 'ref', 'platforms', 'budget')\n"
        )
        #expect(!FileManager.default.fileExists(atPath: project.lockPath))
    }

    @Test func usageErrorsComeFromTheArgumentParser() throws {
        let project = try Project(images: [])
        let result = try images(["pull", "--jobs", "0"], in: project)
        #expect(result.status == 64)
        #expect(result.stderr.contains("--jobs must be between 1 and 64"))
        let strayArguments = try images(["lock", "alpine"], in: project)
        #expect(strayArguments.status == 64)
        #expect(strayArguments.stderr.contains("only with --update"))
    }

    /// Mistyped words get the tool's `error:` and the word probably meant; Docker's names work.
    @Test func usageErrorsSayWhatWasProbablyMeant() throws {
        let project = try Project(images: [])
        let subcommand = try images(["pul"], in: project)
        #expect(subcommand.status == 64)
        #expect(subcommand.stderr.hasPrefix("error: Unexpected argument 'pul'. Did you mean 'pull'?\n"), "\(subcommand.stderr)")
        let option = try images(["pull", "--lockd"], in: project)
        #expect(option.status == 64)
        #expect(option.stderr.hasPrefix("error: Unknown option '--lockd'. Did you mean '--locked'?"), "\(option.stderr)")
        let nothingNear = try images(["frobnicate"], in: project)
        #expect(nothingNear.status == 64)
        #expect(nothingNear.stderr.hasPrefix("error: Unexpected argument 'frobnicate'\n"), "\(nothingNear.stderr)")
        #expect(try images(["list"], in: project).status == 0)
        #expect(try images(["remove", "--help"], in: project).stdout.contains("Remove images from the cache"))
    }
}
