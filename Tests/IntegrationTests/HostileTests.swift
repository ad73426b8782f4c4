import Foundation
import Testing

/// What a registry, a layer or a restored cache controlled by someone else can make the tool
/// do: against `scripts/testservices/hostile.py` (a registry that misbehaves in one way per
/// repository, and a unix socket that nothing may reach), with the `images` binary under test
/// (the release build in scripts/test.sh's second run). Every case ends in a clear `error:` and
/// exit status 1 — no trap, no hang (each run is killed after 120 s, and a kill fails the test),
/// no request to the socket, no escape sequence on the terminal — and leaves a sound cache.
@Suite(.needsTestServices) struct HostileTests {
    let services: TestServices
    let hostile: HostileRegistry

    init() throws {
        services = try TestServices.require()
        hostile = try HostileRegistry(scripts: services.scripts)
    }

    /// A project declaring the hostile registry's SCENARIO/app:1.
    func project(_ scenarios: String...) throws -> Project {
        try Project(images: scenarios.map { "\(hostile.address)/\($0)/app:1" }, platforms: ["linux/amd64"])
    }

    @Test func noRequestEverGoesToAUnixSocket() throws {
        for scenario in ["unix-realm", "unix-redirect"] {
            let project = try project(scenario)
            let result = try guarded(["pull"], in: project)
            expectRefusal(result, saying: "refusing it: only http and https are followed, not 'http+unix'")
            try expectSound(project)
        }
        let project = try project("good")
        try guarded(["pull"], in: project, expectSuccess: true)
        let push = try guarded(["push", "--to", "\(hostile.address)/unix-upload"], in: project)
        expectRefusal(push, saying: "http+unix://")
        #expect(try hostile.socketConnections() == 1, "only the test's own probe reached the socket")
    }

    @Test func documentsThatLieAreRefusedAndNothingIsKept() throws {
        let cases = [
            ("html", "it was served as 'text/html', which is not a manifest media type"),
            ("negative-size", "layers[0].size: the size -1 of sha256:"),
            ("huge-size", "layers[0].size: the size 9223372036854775000 of sha256:"),
            ("dup-keys", "config: the key 'config' appears twice in one object"),
        ]
        for (scenario, message) in cases {
            let project = try project(scenario)
            expectRefusal(try guarded(["pull"], in: project), saying: message)
            #expect(!FileManager.default.fileExists(atPath: project.lockPath), "\(scenario): no lock is written")
            try expectSound(project)
        }
    }

    @Test func aBlobCachedWithAnotherSizeRefusesTheImage() throws {
        let project = try project("good")
        try guarded(["pull"], in: project, expectSuccess: true)
        try project.write(images: ["\(hostile.address)/good/app:1", "\(hostile.address)/lying/app:1"], platforms: ["linux/amd64"])
        let pull = try guarded(["pull"], in: project)
        expectRefusal(pull, saying: "lying/app:1 linux/amd64: blob sha256:")
        #expect(pull.stderr.contains("is cached with 138 bytes, but the manifest says 1138; refusing the image"))
        try expectSound(project)
        // What is sound still reports and serves.
        try project.write(images: ["\(hostile.address)/good/app:1"], platforms: ["linux/amd64"])
        try guarded(["report"], in: project, expectSuccess: true)
    }

    @Test func oddButHarmlessAnswersAreTaken() throws {
        // A Content-Type of ';' or nothing, a token that claims to live for ever.
        for scenario in ["semicolon-type", "empty-type", "expires"] {
            let project = try project(scenario)
            try guarded(["pull"], in: project, expectSuccess: true)
            try expectSound(project)
        }
    }

    @Test func aRegistryThatSendsAByteASecondIsCutOffAtTheDeadline() throws {
        for (scenario, what) in [("dribble", "/manifests/1"), ("dribble-token", "/dribble-token?")] {
            let project = try project(scenario)
            let started = ContinuousClock.now
            let result = try guarded(["pull"], in: project, environment: ["SWIFT_IMAGES_REQUEST_TIMEOUT": "2"])
            expectRefusal(result, saying: "the answer did not complete within 2.0 s")
            #expect(result.stderr.contains(what))
            // Five tries of 2 s and the backoff between them; the body alone would take minutes.
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    @Test func aRegistrysEscapeSequencesNeverReachTheTerminal() throws {
        let project = try project("escape")
        let result = try guarded(["pull", "-v"], in: project)
        expectRefusal(result, saying: #"MANIFEST_UNKNOWN: \u{1B}]0;pwned\u{7}\u{1B}[2K\u{D}\u{1B}[32mall good"#)
        // An image's own history, in the report's table and Markdown.
        let history = try self.project("escape-history")
        try guarded(["pull"], in: history, expectSuccess: true)
        for format in ["table", "markdown"] {
            let report = try guarded(["report", "--format", format], in: history, expectSuccess: true)
            #expect(report.stdout.contains(#"RUN \u{1B}]0;pwned\u{7}\u{1B}[2Kmake"#), "\(report.stdout)")
        }
    }

    @Test func hostileLayersAreReportedCorruptWithoutACrash() throws {
        let corrupt = [
            ("base256-huge", "it ends inside an entry"),
            ("base256-negative", "a header has a negative size"),
            ("pax-negative", "a PAX header size is negative"),
            ("pax-huge", "the entries' sizes add up beyond what can be counted"),
            ("pax-short-record", "a PAX header record's length 1 does not fit the record"),
            ("longname-huge", "a PAX header or GNU long name of 1099511627776 bytes, over the 1 MiB limit"),
            ("sizes-overflow", "the entries' sizes add up beyond what can be counted"),
        ]
        for (kind, reason) in corrupt {
            let project = try project("tar-" + kind)
            try guarded(["pull"], in: project, expectSuccess: true)
            let report = try guarded(["report"], in: project)
            expectRefusal(report, saying: "tar-\(kind)/app:1 linux/amd64: layer sha256:")
            #expect(report.stderr.contains("is corrupt: not a valid tar stream: \(reason)"), "\(kind): \(report.stderr)")
        }
        // Valid as Go's archive/tar reads them: ended right after the data (as umoci writes) or
        // inside its padding, and zstd with a 2 GiB window (zstd --long=31).
        for scenario in ["tar-no-padding", "tar-cut-padding", "zstd-long"] {
            let project = try project(scenario)
            try guarded(["pull"], in: project, expectSuccess: true)
            let report = try guarded(["report", "--json"], in: project, expectSuccess: true)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
            let total = try #require((json["report"] as? [String: Any])?["total"] as? [String: Any])
            #expect(total["unpacked"] as? Int == 5, "\(scenario): the one 5-byte file")
        }
    }

    @Test func verifyNeverFollowsALinkNorWaitsOnAFIFO() throws {
        let project = try project("good")
        try guarded(["pull"], in: project, expectSuccess: true)
        let blobs = project.cache + "/blobs/sha256/"
        let fifo = String(repeating: "a", count: 64)
        let link = String(repeating: "b", count: 64)
        #expect(mkfifo(blobs + fifo, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: blobs + link, withDestinationPath: "/dev/zero")
        let verify = try guarded(["verify", "--json"], in: project)
        #expect(verify.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        let problems = try #require(json["problems"] as? [[String: Any]])
        #expect(problems.map { $0["kind"] as? String } == ["stray", "stray"])
        #expect(problems.map { $0["detail"] as? String } == ["not a regular file but a FIFO", "not a regular file but a symbolic link"])
        // A blob that is not a regular file counts as missing: the next pull replaces it.
        try guarded(["verify", "--repair"], in: project)
        #expect(try FileManager.default.contentsOfDirectory(atPath: blobs).count == 3)
        try expectSound(project)
    }

    @Test func aRestoredCacheThatCannotBeReadAsItIsIsRefused() throws {
        let project = try project("good")
        try guarded(["pull"], in: project, expectSuccess: true)
        let index = try String(contentsOfFile: project.cache + "/index.json", encoding: .utf8)
        try (#"{"manifests": [], "#.appending(index.dropFirst())).write(toFile: project.cache + "/index.json", atomically: true, encoding: .utf8)
        expectRefusal(try guarded(["ls"], in: project), saying: "manifests: the key 'manifests' appears twice in one object")
        try index.write(toFile: project.cache + "/index.json", atomically: true, encoding: .utf8)
        try Data(#"{"imageLayoutVersion":"2.0.0"}"#.utf8).write(to: URL(fileURLWithPath: project.cache + "/oci-layout"))
        expectRefusal(try guarded(["ls"], in: project), saying: "the layout version '2.0.0' is not one this tool reads (1.x)")
    }

    @Test func metadataThatIsAFIFOIsNeverWaitedOnAndTheNextPullReplacesIt() throws {
        let project = try project("good")
        try guarded(["pull"], in: project, expectSuccess: true)
        let metadata = project.cache + "/.swift-images/metadata.json"
        try FileManager.default.removeItem(atPath: metadata)
        #expect(mkfifo(metadata, 0o644) == 0)
        // Read by prune (which keeps what it cannot judge), replaced by the next pull.
        try guarded(["prune", "--dry-run", "--grace", "0"], in: project, expectSuccess: true)
        try guarded(["pull"], in: project, expectSuccess: true)
        var info = stat()
        #expect(lstat(metadata, &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
    }

    @Test func aManifestThatIsAFIFOIsRefusedWithoutWaiting() throws {
        let project = try project("good")
        let fifo = project.directory + "/fifo.json"
        #expect(mkfifo(fifo, 0o644) == 0)
        expectRefusal(try guarded(["pull", "--manifest", fifo], in: project), saying: "cannot read the file: ")
        #expect(try guarded(["pull", "--manifest", fifo], in: project).stderr.contains("it is not a regular file"))
    }

    @Test func absurdJobsAreAUsageError() throws {
        let project = try project("good")
        let result = try guarded(["pull", "--jobs", "1000000000"], in: project)
        #expect(result.status == 64)
        #expect(result.stderr.contains("--jobs must be between 1 and 64"))
    }

    // MARK: Helpers

    /// Runs the binary, killed after 120 s (a hang) and checked for a trap either way.
    @discardableResult
    func guarded(
        _ arguments: [String], in project: Project, environment: [String: String] = [:], expectSuccess: Bool = false
    ) throws -> CommandResult {
        var base = ["HOME": project.directory, "DOCKER_CONFIG": project.directory + "/docker", "SWIFT_IMAGES_CACHE": project.cache]
        base.merge(environment) { $1 }
        let result = try run(
            "timeout", ["-s", "KILL", "120", try imagesBinary()] + arguments, environment: base, directory: project.directory,
            check: false)
        #expect(result.status != 137, "images \(arguments.joined(separator: " ")) hung and was killed")
        #expect(![132, 133, 134, 139].contains(result.status), "images \(arguments.joined(separator: " ")) crashed: \(result.stderr)")
        #expect(!result.stderr.utf8.contains(0x1B), "a raw escape character reached stderr: \(result.stderr)")
        #expect(!result.stdout.utf8.contains(0x1B), "a raw escape character reached stdout: \(result.stdout)")
        if expectSuccess { #expect(result.status == 0, "images \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result
    }

    /// A clean refusal: status 1 and an `error:` line saying `message` (``guarded`` checked that
    /// no raw escape character came with it).
    func expectRefusal(_ result: CommandResult, saying message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("error: "), sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)", sourceLocation: sourceLocation)
    }

    /// The cache holds no partial file and `images verify` finds nothing wrong.
    func expectSound(_ project: Project, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard FileManager.default.fileExists(atPath: project.cache) else { return }
        #expect(try project.strayFiles().isEmpty, sourceLocation: sourceLocation)
        let verify = try guarded(["verify"], in: project)
        #expect(verify.status == 0, "\(verify.stderr)", sourceLocation: sourceLocation)
    }
}

/// `scripts/testservices/hostile.py` of a test's own, with its unix socket, stopped when dropped.
final class HostileRegistry {
    let process = Process()
    let address: String
    let socketPath: String

    init(scripts: String) throws {
        socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).sock").path
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scripts + "/testservices/hostile.py", socketPath]
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        address = "127.0.0.1:" + line.trimmingCharacters(in: .whitespacesAndNewlines)
        // The listener counts: one probe of our own proves it would see a request.
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: socketPath) { usleep(20_000) }
        try run("curl", ["-s", "--max-time", "2", "--unix-socket", socketPath, "http://probe/"], check: false)
    }

    /// How many connections reached the unix socket.
    func socketConnections() throws -> Int {
        let output = try run("curl", ["-sf", "http://\(address)/_stats"]).stdout
        let stats = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
        return stats["socket_connections"] as! Int
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: socketPath)
    }
}
