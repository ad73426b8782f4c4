import Foundation
import LayoutStore
import Testing

/// `swift package images …` in a package that depends on this one: the example package
/// (Examples/ServiceWithDatabase), copied with its images.json pointed at the test registry.
/// Slow the first time (it builds the `images` tool in the fixture's build folder); the folder,
/// `.build/plugin-fixture` in this repository, is kept between runs, so later runs build little.
@Suite(.needsTestServices) struct PluginTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The example package, in a fresh directory, depending on this repository by its path.
    func fixture(images: [String]) throws -> Project {
        let project = try Project(images: images)
        let example = Self.repository + "/Examples/ServiceWithDatabase"
        for item in ["Sources", "Tests"] {
            try FileManager.default.copyItem(atPath: example + "/" + item, toPath: project.directory + "/" + item)
        }
        let manifest = try String(contentsOfFile: example + "/Package.swift", encoding: .utf8)
            .replacingOccurrences(of: #"path: "../..""#, with: "path: \"\(Self.repository)\"")
        try manifest.write(toFile: project.directory + "/Package.swift", atomically: true, encoding: .utf8)
        return project
    }

    /// Runs `swift package` in the fixture, with the CI flags.
    func swiftPackage(_ arguments: [String], in project: Project, environment: [String: String] = [:]) throws -> CommandResult {
        try run(
            "swift",
            [
                "package", "--scratch-path", Self.repository + "/.build/plugin-fixture", "--allow-network-connections", "all",
                "--allow-writing-to-package-directory", "images",
            ] + arguments,
            environment: ["HOME": project.directory, "SWIFT_IMAGES_CACHE": project.cache, "NO_COLOR": "1"]
                .merging(environment) { $1 },
            directory: project.directory, check: false)
    }

    /// The example's own tests, as its README runs them: `swift package images lock`, then
    /// `swift test`, whose suite gets `redis:7-alpine` into the engine through the `.images`
    /// trait, starts the database from it and talks to it. Docker Hub is out of reach here: the
    /// example's images.json is used as it is, with the test registry named as Docker Hub's
    /// mirror, seeded with a Redis image built from Debian's packages.
    @Test func theExamplesTestsStartTheirDatabaseFromTheImageTheTraitLoads() throws {
        let hub = TestServices.uniqueRepository("hub")
        try run(services.scripts + "/database-image.sh", [services.registry, "\(hub)/library/redis:7-alpine"])
        try run(
            "skopeo",
            [
                "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://\(services.registry)/test/base:1", "docker://\(services.registry)/\(hub)/library/swift:6.0-jammy",
            ])
        let project = try fixture(images: [])
        var manifest =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: Self.repository + "/Examples/ServiceWithDatabase/images.json")))
            as? [String: Any] ?? [:]
        manifest["registries"] = ["docker.io": ["mirrors": ["\(services.registry)/\(hub)"]]]
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: project.manifestPath))
        let engine = ["DOCKER_HOST": services.dockerHost]

        let lock = try swiftPackage(["lock"], in: project)
        #expect(lock.status == 0, "\(lock.stdout)\(lock.stderr)")
        let test = try run(
            "swift", ["test", "--scratch-path", Self.repository + "/.build/plugin-fixture"],
            environment: ["HOME": project.directory, "SWIFT_IMAGES_CACHE": project.cache].merging(engine) { $1 },
            directory: project.directory, check: false)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("Test keepsWhatItIsGivenAndKnowsWhatItWasNot() passed"), "\(test.stdout)")
        // The trait loaded the image under its declared name; the test left no container behind.
        let image = try run("docker", ["image", "inspect", "--format", "{{.Id}}", "redis:7-alpine"], environment: engine)
        #expect(image.stdout.hasPrefix("sha256:"))
        let containers = try run("docker", ["ps", "--all", "--quiet", "--filter", "ancestor=redis:7-alpine"], environment: engine)
        #expect(containers.stdout.isEmpty, "\(containers.stdout)")
        try run("docker", ["rmi", "redis:7-alpine"], environment: engine)

        // Without a lock, the suite fails with the tool's words and what to run.
        try FileManager.default.removeItem(atPath: project.lockPath)
        let unlocked = try run(
            "swift", ["test", "--skip-build", "--scratch-path", Self.repository + "/.build/plugin-fixture"],
            environment: ["HOME": project.directory, "SWIFT_IMAGES_CACHE": project.cache].merging(engine) { $1 },
            directory: project.directory, check: false)
        #expect(unlocked.status != 0)
        #expect(
            unlocked.stdout.contains(
                "redis:7-alpine could not be made ready: \(project.lockPath) does not exist (run 'swift package images lock' and commit images.lock.json)"
            ), "\(unlocked.stdout)")
    }

    @Test func pullAndReportThroughThePluginThenAFailureKeepsTheToolsMessage() throws {
        let base = "\(services.registry)/test/base:1"
        let app = "\(services.registry)/test/app:1"
        // And an image whose layer umoci insert wrote, ending right after its data.
        let inserted = "\(services.registry)/\(TestServices.uniqueRepository("plugin"))/inserted:1"
        try services.pushUmociInsertImage(to: inserted.dropFirst(services.registry.count + 1).description)
        let project = try fixture(images: [base, app, inserted])

        let pull = try swiftPackage(["pull"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        // SwiftPM passes what the plugin (and so the tool) writes on to its own stdout.
        #expect(pull.stdout.contains("3 images ready"))
        let lock = try project.lockText()
        #expect(lock.contains(#""ref" : "\#(base)""#))
        let store = try LayoutStore(root: project.cache)
        #expect(try store.index().manifests.count == 3)

        let report = try swiftPackage(["report", "--format", "json"], in: project)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains(#""reference" : "\#(app)""#))
        #expect(report.stdout.contains(#""reference" : "\#(inserted)""#))

        // An image the registry does not have: swift package fails, with the tool's own words.
        try project.write(images: [base, "\(services.registry)/test/nothing-here:1"])
        let failing = try swiftPackage(["pull"], in: project)
        #expect(failing.status != 0)
        let message =
            "error: \(services.registry)/test/nothing-here:1: manifest \(services.registry)/test/nothing-here:1 not found"
        #expect(failing.stdout.contains(message), "\(failing.stdout)")
    }

    /// A private registry: the variables images.json names reach the tool through SwiftPM; the
    /// rest of the caller's environment does not.
    @Test func credentialVariablesTheManifestNamesReachTheTool() throws {
        let registry = services.basicRegistry
        let project = try fixture(images: ["\(registry)/test/base:1"])
        try project.write(
            images: ["\(registry)/test/base:1"],
            extra: #""registries": {"\#(registry)": {"usernameEnv": "CI_REGISTRY_USER", "passwordEnv": "CI_REGISTRY_PASSWORD"}},"#)
        let secrets = ["CI_REGISTRY_USER": services.user, "CI_REGISTRY_PASSWORD": services.password]
        let pull = try swiftPackage(["pull"], in: project, environment: secrets)
        #expect(pull.status == 0, "\(pull.stdout)\(pull.stderr)")
        #expect(pull.stdout.contains(" ready, 1 pulled"), "\(pull.stdout)")
        #expect(!(pull.stdout + pull.stderr).contains(services.password))

        // Named under another variable than the one set: the tool never sees the secret.
        try project.write(
            images: ["\(registry)/test/base:1"],
            extra: #""registries": {"\#(registry)": {"usernameEnv": "OTHER_USER", "passwordEnv": "OTHER_PASSWORD"}},"#)
        let unnamed = try swiftPackage(["lock", "--update"], in: project, environment: secrets)
        #expect(unnamed.status != 0)
        #expect(unnamed.stdout.contains("requires Basic authentication and no credentials are configured"), "\(unnamed.stdout)")
    }

    @Test func anExplicitManifestIsLeftAlone() throws {
        let project = try fixture(images: ["\(services.registry)/test/base:1"])
        let alternative = project.directory + "/alt"
        try FileManager.default.createDirectory(atPath: alternative, withIntermediateDirectories: true)
        let app = "\(services.registry)/test/app:1"
        try #"{"version": 1, "images": ["\#(app)"]}"#.write(
            toFile: alternative + "/images.json", atomically: true, encoding: .utf8)
        let lock = try swiftPackage(["lock", "--manifest", alternative + "/images.json"], in: project)
        #expect(lock.status == 0, "\(lock.stderr)")
        #expect(try String(contentsOfFile: alternative + "/images.lock.json", encoding: .utf8).contains(app))
        #expect(!FileManager.default.fileExists(atPath: project.lockPath))
    }

    @Test func onATerminalTheToolsOutputStreamsThroughAsItHappens() throws {
        // A small image from the plain registry, and one behind a proxy that holds its blobs
        // until told: the line for the small one must show while the other cannot have finished.
        // The held image shares no blob with the small one, which could otherwise wait for it.
        let repository = TestServices.uniqueRepository("plugin")
        try services.pushRandomImage("\(repository)/held:1", bytes: 1_000_000)
        let holding = try TestProxy(["hold", services.registry], scripts: services.scripts)
        let small = "\(services.registry)/test/base:1"
        let held = "\(holding.address)/\(repository)/held:1"
        let project = try fixture(images: [small, held])
        let output = project.directory + "/output"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        // On a pseudo-terminal, as a developer runs it: SwiftPM prints the plugin's lines with
        // print(), which a pipe or a file would buffer until the command ends (see docs/ci.md).
        let command = [
            "swift", "package", "--scratch-path", Self.repository + "/.build/plugin-fixture", "--allow-network-connections",
            "all", "--allow-writing-to-package-directory", "images", "pull",
        ]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["--quiet", "--return", "--command", command.joined(separator: " "), "/dev/null"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["HOME": project.directory, "SWIFT_IMAGES_CACHE": project.cache, "NO_COLOR": "1"]) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: project.directory)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: output)
        try process.run()
        // Long enough for SwiftPM to build the tool first, when no other test has.
        let deadline = Date().addingTimeInterval(900)
        var sawSmallWhileHeld = false
        while process.isRunning && !sawSmallWhileHeld && Date() < deadline {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            let heldRequests = try holding.stats()["held"] as! Int
            sawSmallWhileHeld = heldRequests > 0 && text.contains("pulled \(small) linux/amd64")
            if !sawSmallWhileHeld { usleep(100_000) }
        }
        _ = try? run("curl", ["-sf", "http://\(holding.address)/_release"])
        if Date() >= deadline { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(sawSmallWhileHeld, "\(text)")
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("pulled \(held) linux/amd64"), "\(text)")
    }
}
