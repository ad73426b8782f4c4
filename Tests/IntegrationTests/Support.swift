import Foundation
import ImagesKit
import Logging
import Testing

/// The services `scripts/services.sh` started for the tests, read from the environment that
/// `scripts/test.sh` sets.
struct TestServices {
    let scripts: String
    let registry: String
    let registryStorage: String
    let basicRegistry: String
    let tokenRegistry: String
    let tokenStats: String
    let redirectRegistry: String
    let redirectStats: String
    /// The plain registry behind a proxy that sends blobs at 4 MB/s.
    let slowRegistry: String
    /// A private dockerd: `unix://…/docker.sock`.
    let dockerHost: String
    /// The same daemon over TCP with TLS (`--tlsverify`), and the directory with the client's
    /// `ca.pem`, `cert.pem` and `key.pem`.
    let dockerTLSHost: String
    let dockerCertPath: String
    /// Another, in a network namespace of its own: it cannot reach our loopback.
    let isolatedDockerHost: String
    /// Docker 26 with the containerd image store (scripts/docker26.sh).
    let docker26Host: String
    /// Podman's API service (scripts/podman.sh).
    let podmanHost: String
    let user: String
    let password: String

    struct Missing: Error, CustomStringConvertible {
        let variable: String
        var description: String {
            "\(variable) is not set: run the integration tests with scripts/test.sh, which starts the registries"
        }
    }

    /// Whether the services are there to test against: `scripts/test.sh` started them (and
    /// says they must be, so that a run where they are not fails instead of skipping).
    static var areAvailable: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["IMAGES_TEST_REGISTRY"] != nil || environment["IMAGES_TEST_SERVICES_REQUIRED"] == "1"
    }

    static func require() throws -> TestServices {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else { throw Missing(variable: name) }
            return value
        }
        return TestServices(
            scripts: try value("IMAGES_TEST_SCRIPTS"),
            registry: try value("IMAGES_TEST_REGISTRY"),
            registryStorage: try value("IMAGES_TEST_REGISTRY_STORAGE"),
            basicRegistry: try value("IMAGES_TEST_BASIC_REGISTRY"),
            tokenRegistry: try value("IMAGES_TEST_TOKEN_REGISTRY"),
            tokenStats: try value("IMAGES_TEST_TOKEN_STATS"),
            redirectRegistry: try value("IMAGES_TEST_REDIRECT_REGISTRY"),
            redirectStats: try value("IMAGES_TEST_REDIRECT_STATS"),
            slowRegistry: try value("IMAGES_TEST_SLOW_REGISTRY"),
            dockerHost: try value("IMAGES_TEST_DOCKER_HOST"),
            dockerTLSHost: try value("IMAGES_TEST_DOCKER_TLS_HOST"),
            dockerCertPath: try value("IMAGES_TEST_DOCKER_CERT_PATH"),
            isolatedDockerHost: try value("IMAGES_TEST_ISOLATED_DOCKER_HOST"),
            docker26Host: try value("IMAGES_TEST_DOCKER26_HOST"),
            podmanHost: try value("IMAGES_TEST_PODMAN_HOST"),
            user: try value("IMAGES_TEST_USER"),
            password: try value("IMAGES_TEST_PASSWORD")
        )
    }

    /// A repository name no other test uses.
    static func uniqueRepository(_ prefix: String = "t") -> String {
        "\(prefix)/\(UUID().uuidString.lowercased().prefix(12))"
    }

    /// Copies an image between references of the plain registry (blobs are mounted, so it is fast).
    func copy(_ source: String, to destination: String, registry: String? = nil, credentials: Bool = false) throws {
        let target = registry ?? self.registry
        var arguments = ["copy", "--quiet", "--all", "--src-tls-verify=false", "--dest-tls-verify=false"]
        if credentials { arguments += ["--src-creds", "\(user):\(password)", "--dest-creds", "\(user):\(password)"] }
        try run("skopeo", arguments + ["docker://\(target)/\(source)", "docker://\(target)/\(destination)"])
    }

    /// Pushes an image of `bytes` random bytes that shares nothing with any other image.
    func pushRandomImage(_ repositoryAndTag: String, bytes: Int) throws {
        try run(scripts + "/random-image.sh", [registry, repositoryAndTag, String(bytes)])
    }

    /// The sizes `scripts/testservices/layer_image.py` says its layer has.
    struct HandMadeLayer: Decodable {
        var tar: Int64
        var unpacked: Int64
        var entries: Int
        var compressed: Int64
    }

    /// Pushes a one-layer image whose layer is made by hand (see layer_image.py for the kinds).
    func pushHandMadeImage(_ kind: String, to repositoryAndTag: String) throws -> HandMadeLayer {
        let layout = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: layout) }
        let output = try run("python3", [scripts + "/testservices/layer_image.py", layout, "image", kind]).stdout
        try pushFromLayout(layout, "image", to: repositoryAndTag)
        return try JSONDecoder().decode(HandMadeLayer.self, from: Data(output.utf8))
    }

    /// Pushes images with a hand-made layer each on one hand-made base layer that only they
    /// have, so they share it with each other and with nothing else.
    func pushHandMadeSiblings(to repositoriesAndTags: [String]) throws {
        let layout = FileManager.default.temporaryDirectory.appendingPathComponent("layout-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: layout) }
        let script = scripts + "/testservices/layer_image.py"
        try run("python3", [script, layout, "base", "messy"])
        for (index, target) in repositoriesAndTags.enumerated() {
            try run("python3", [script, layout, "sibling\(index)", "messy", "base"])
            try pushFromLayout(layout, "sibling\(index)", to: target)
        }
    }

    /// Pushes a one-layer image made by `umoci insert` (Debian's umoci 0.4.7), whose layer ends
    /// right after its last file's data: no padding, no end blocks. Its files: 12 and 3,333 bytes.
    func pushUmociInsertImage(to repositoryAndTag: String, createdBy: String? = nil) throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("umoci-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/files", withIntermediateDirectories: true)
        try Data("hello umoci\n".utf8).write(to: URL(fileURLWithPath: work + "/files/a.txt"))
        try Data((0..<3333).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: work + "/files/b.bin"))
        try run("umoci", ["init", "--layout", work + "/layout"])
        try run("umoci", ["new", "--image", work + "/layout:image"])
        try run(
            "umoci",
            ["insert", "--image", work + "/layout:image"] + (createdBy.map { ["--history.created_by", $0] } ?? [])
                + [work + "/files", "/data"])
        try run("umoci", ["config", "--image", work + "/layout:image", "--os", "linux", "--architecture", "amd64"])
        try pushFromLayout(work + "/layout", "image", to: repositoryAndTag)
    }

    private func pushFromLayout(_ layout: String, _ name: String, to repositoryAndTag: String) throws {
        try run(
            "skopeo",
            ["copy", "--quiet", "--dest-tls-verify=false", "oci:\(layout):\(name)", "docker://\(registry)/\(repositoryAndTag)"])
    }

    /// A GET on the test daemon's API (or another's), decoded as JSON.
    func dockerAPI(_ path: String, host: String? = nil) throws -> Any {
        let socket = String((host ?? dockerHost).dropFirst("unix://".count))
        let output = try run("curl", ["-sf", "--unix-socket", socket, "http://docker\(path)"]).stdout
        return try JSONSerialization.jsonObject(with: Data(output.utf8))
    }

    /// Runs the docker CLI against the test daemon, or another.
    @discardableResult
    func docker(_ arguments: [String], host: String? = nil, check: Bool = true) throws -> CommandResult {
        try run("docker", ["-H", host ?? dockerHost] + arguments, check: check)
    }

    /// A JSON counter from one of the helper services.
    func stats(_ url: String) throws -> [String: Any] {
        let output = try run("curl", ["-s", url]).stdout
        return try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
    }

    /// A project declaring a runnable image of its own (busybox and random bytes, in a new
    /// repository under `prefix`), pulled into its cache.
    func pulledProject(_ prefix: String) throws -> (Project, reference: String) {
        let repository = TestServices.uniqueRepository(prefix)
        try pushRandomImage("\(repository)/app:1", bytes: 1000)
        let reference = "\(registry)/\(repository)/app:1"
        let project = try Project(images: [reference])
        let pull = try images(["pull"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        return (project, reference)
    }

    /// The engine at `host` holds two fresh images, one that a project declares and a container
    /// uses, one that it does not declare: `rm --engine` refuses the used one and the cache
    /// keeps it; a dry-run prune keeps the declared one and would remove the other; once the
    /// container is gone, `rm --engine` removes it. Returns the prune's output (human words).
    func expectRemoveAndPruneKeepWhatIsDeclaredOrUsed(engine host: String) throws -> CommandResult {
        let environment = ["DOCKER_HOST": host]
        let (project, reference) = try pulledProject("engine")
        let (other, undeclared) = try pulledProject("engine")
        for loaded in [project, other] {
            #expect(try images(["load"], in: loaded, environment: environment).status == 0)
        }
        let container = "uses-\(UUID().uuidString.prefix(8))"
        try docker(["create", "--name", container, "--network", "none", reference, "/bin/sh"], host: host)
        defer { _ = try? docker(["rm", "-f", container], host: host, check: false) }

        let refused = try images(["rm", "--engine", reference], in: project, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(reference) is used by container \(container)"), "\(refused.stderr)")
        #expect(try images(["ls"], in: project).stdout.contains(reference), "the refusal removed it from the cache")

        let prune = try images(["prune", "--engine", "--dry-run", "--grace", "0"], in: project, environment: environment)
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("kept \(reference): declared"), "\(prune)")
        #expect(prune.stdout.contains("would remove \(undeclared)"), "\(prune)")

        try docker(["rm", "-f", container], host: host)
        let removed = try images(["rm", "--engine", reference], in: project, environment: environment)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try docker(["image", "inspect", reference], host: host, check: false).status != 0)
        _ = try images(["rm", "--engine", undeclared], in: other, environment: environment)
        return prune
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips a suite, saying why, under a plain `swift test` without the registries and engines;
    /// `scripts/test.sh` (and so CI) starts them and runs every suite.
    static var needsTestServices: Self {
        .enabled(
            if: TestServices.areAvailable,
            "needs the registries and engines that scripts/test.sh starts (scripts/services.sh start DIR; source DIR/env)")
    }
}

/// A project directory with an `images.json`, and a cache of its own.
struct Project {
    let directory: String
    let cache: String
    var manifestPath: String { directory + "/images.json" }
    var lockPath: String { directory + "/images.lock.json" }

    init(images: [String], platforms: [String]? = nil, extra: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("project-\(UUID().uuidString)").path
        cache = directory + "/cache"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try write(images: images, platforms: platforms, extra: extra)
    }

    func write(images: [String], platforms: [String]? = nil, extra: String = "") throws {
        let list = images.map { $0.hasPrefix("{") ? $0 : "\"\($0)\"" }.joined(separator: ", ")
        let platformsLine = platforms.map { "\"platforms\": [\($0.map { "\"\($0)\"" }.joined(separator: ", "))]," } ?? ""
        let json = "{\"version\": 1, \(platformsLine) \(extra) \"images\": [\(list)]}"
        try Data(json.utf8).write(to: URL(fileURLWithPath: manifestPath))
    }

    func workspace(environment: [String: String] = [:]) throws -> Workspace {
        var base = ["HOME": directory, "DOCKER_CONFIG": directory + "/docker"]
        base.merge(environment) { $1 }
        return try Workspace(
            manifestPath: manifestPath, cachePath: cache, requireManifest: true, environment: base, logger: Logger(label: "test"))
    }

    /// Runs `body` with a fresh workspace and shuts it down afterwards.
    func withWorkspace<T>(environment: [String: String] = [:], _ body: (Workspace) async throws -> T) async throws -> T {
        try await workspace(environment: environment).use(body)
    }

    func lockText() throws -> String {
        try String(contentsOfFile: lockPath, encoding: .utf8)
    }

    /// Every file of the cache that is not a verified blob, index or metadata: there must be none.
    func strayFiles() throws -> [String] {
        let ingest = try FileManager.default.contentsOfDirectory(atPath: cache + "/.swift-images/ingest")
        let temporary = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.contains(".tmp") }
        return ingest + temporary
    }

    /// Writes a Docker config as given, a JSON object's text.
    func writeDockerConfig(_ json: String) throws {
        try FileManager.default.createDirectory(atPath: directory + "/docker", withIntermediateDirectories: true)
        try Data(json.utf8).write(to: URL(fileURLWithPath: directory + "/docker/config.json"))
    }

    /// Puts a Docker credential helper, `docker-credential-NAME`, in `bin/` of the project
    /// (which the returned `PATH` leads with): for `server` it answers `username` and `secret`,
    /// for any other server that it has no credentials. Each server URL it is asked for is
    /// appended to `bin/asked`.
    func installCredentialHelper(_ name: String, server: String, username: String, secret: String) throws -> String {
        let bin = directory + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            [ "$1" = get ] || exit 2
            read -r server
            echo "$server" >>"\(bin)/asked"
            if [ "$server" = "\(server)" ]; then
              printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$server" '\(username)' '\(secret)'
            else
              echo "credentials not found in native keychain"
              exit 1
            fi

            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: bin + "/docker-credential-" + name))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/docker-credential-" + name)
        return bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    /// Writes a Docker config with credentials for `registries`.
    func login(_ registries: [String], user: String, password: String) throws {
        try FileManager.default.createDirectory(atPath: directory + "/docker", withIntermediateDirectories: true)
        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        let entries = registries.map { "\"\($0)\": {\"auth\": \"\(auth)\"}" }.joined(separator: ", ")
        try Data("{\"auths\": {\(entries)}}".utf8).write(to: URL(fileURLWithPath: directory + "/docker/config.json"))
    }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

struct CommandFailed: Error, CustomStringConvertible {
    let command: String
    let result: CommandResult
    var description: String { "\(command) exited \(result.status): \(result.stderr)" }
}

/// Runs a program to completion and collects its output.
@discardableResult
func run(
    _ program: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil, check: Bool = true
) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
    process.arguments = program.hasPrefix("/") ? arguments : [program] + arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    // Output goes to files, so that no pipe can fill up and block the child.
    let outputs = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: outputs) }
    _ = FileManager.default.createFile(atPath: outputs.path + "/out", contents: nil)
    _ = FileManager.default.createFile(atPath: outputs.path + "/err", contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outputs.appendingPathComponent("out"))
    process.standardError = try FileHandle(forWritingTo: outputs.appendingPathComponent("err"))
    try process.run()
    process.waitUntilExit()
    let result = CommandResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: outputs.appendingPathComponent("out"), encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: outputs.appendingPathComponent("err"), encoding: .utf8)) ?? "")
    if check, result.status != 0 { throw CommandFailed(command: ([program] + arguments).joined(separator: " "), result: result) }
    return result
}

/// The `images` executable built by `swift build` (scripts/test.sh sets IMAGES_TEST_BINARY).
func imagesBinary() throws -> String {
    if let path = ProcessInfo.processInfo.environment["IMAGES_TEST_BINARY"] { return path }
    throw TestServices.Missing(variable: "IMAGES_TEST_BINARY")
}

/// Runs the CLI in `project`'s directory with its own HOME and cache.
@discardableResult
func images(_ arguments: [String], in project: Project, environment: [String: String] = [:]) throws -> CommandResult {
    var base = ["HOME": project.directory, "DOCKER_CONFIG": project.directory + "/docker", "SWIFT_IMAGES_CACHE": project.cache]
    base.merge(environment) { $1 }
    return try run(try imagesBinary(), arguments, environment: base, directory: project.directory, check: false)
}

/// What a person saw on the terminal while a command ran (see scripts/testservices/pty_screen.py).
struct TerminalSession: Decodable {
    var status: Int32
    /// Every distinct screen, in order; each line without its trailing spaces.
    var screens: [[String]]
    var final: [String]
}

/// Runs the CLI like ``images(_:in:environment:)``, but on a pseudo-terminal `columns` wide,
/// through a terminal emulator (pyte).
func imagesOnTerminal(
    _ arguments: [String], in project: Project, columns: Int, scripts: String, environment: [String: String] = [:]
) throws -> TerminalSession {
    var base = ["HOME": project.directory, "DOCKER_CONFIG": project.directory + "/docker", "SWIFT_IMAGES_CACHE": project.cache]
    base.merge(environment) { $1 }
    let output = try run(
        "python3", [scripts + "/testservices/pty_screen.py", String(columns), "100", try imagesBinary()] + arguments,
        environment: base, directory: project.directory)
    return try JSONDecoder().decode(TerminalSession.self, from: Data(output.stdout.utf8))
}

/// A proxy of the test's own from `scripts/testservices/proxy.py` (`count` or `fault`), in front
/// of a real registry: its address, what it counted, and stopped when the test lets go of it.
/// A registry of a test's own (distribution, by scripts/registry.sh), stopped when dropped or
/// by ``stop()``: for what the shared one cannot do, such as going away mid-test.
final class TestRegistry {
    let directory: String
    let address: String

    /// - Parameter config: YAML appended to the registry's config (`proxy:` for pull-through…).
    init(scripts: String, config: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var arguments = ["start", directory]
        if let config {
            try config.write(toFile: directory + "/extra.yml", atomically: true, encoding: .utf8)
            arguments.append(directory + "/extra.yml")
        }
        // Not waited for with run(): the registry it leaves running holds on to what it inherited.
        let start = Process()
        start.executableURL = URL(fileURLWithPath: scripts + "/registry.sh")
        start.arguments = arguments
        start.standardOutput = FileHandle.nullDevice
        start.standardError = FileHandle.nullDevice
        try start.run()
        var address: String?
        for _ in 0..<200 where address == nil {
            address = try? String(contentsOfFile: directory + "/address", encoding: .utf8)
            if address == nil { usleep(50_000) }
        }
        guard let address else { throw NotStarted(directory: directory) }
        self.address = address.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct NotStarted: Error, CustomStringConvertible {
        let directory: String
        var description: String { "the registry in \(directory) did not start; see its registry.log" }
    }

    /// Kills it (SIGKILL: the test process's blocked signals are inherited), so that it is gone at once.
    func stop() {
        guard let pid = try? String(contentsOfFile: directory + "/pid", encoding: .utf8),
            let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return }
        kill(number, SIGKILL)
        try? FileManager.default.removeItem(atPath: directory + "/pid")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

final class TestProxy {
    let process = Process()
    let address: String

    /// - Parameter arguments: the mode and its arguments, as proxy.py takes them.
    init(_ arguments: [String], scripts: String) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scripts + "/testservices/proxy.py"] + arguments
        process.standardOutput = output
        try process.run()
        // It prints its port, then serves.
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        address = "127.0.0.1:" + line.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What `GET /_stats` says.
    func stats() throws -> [String: Any] {
        let output = try run("curl", ["-sf", "http://\(address)/_stats"]).stdout
        return try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
    }

    /// How many requests it received.
    func requests() throws -> Int { try stats()["requests"] as! Int }

    deinit {
        // SIGKILL: the test process's blocked signals are inherited, and SIGTERM can wait forever.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
