import Foundation
import Testing

/// The repository's GitHub Action (action.yml) and the CI recipes of docs/ci.md, run step by step
/// the way GitHub's and GitLab's runners run them, by `scripts/testservices/ci_runner.py`: the
/// environment files, expressions and conditions, with actions/cache's restore and save stood in
/// for by a directory per key that outlives the job, as GitHub's cache service does. Each run is
/// a job on a fresh runner (a new HOME).
@Suite(.serialized, .needsTestServices) struct ActionTests {
    let services: TestServices
    let repositoryRoot: String
    let state: String

    init() throws {
        services = try TestServices.require()
        repositoryRoot = URL(fileURLWithPath: services.scripts).deletingLastPathComponent().path
        state = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    }

    struct Job {
        var result: CommandResult
        var outputs: [String: String]
        var summary: String
    }

    /// Runs the action in `project`'s directory as a job on a new runner.
    func job(_ project: Project, inputs: [String: String]) throws -> Job {
        try runner(["action", repositoryRoot] + inputs.sorted { $0.key < $1.key }.flatMap { ["--input", "\($0.key)=\($0.value)"] }, in: project)
    }

    /// Runs `ci_runner.py` with `arguments` in `project`'s directory, on a new runner.
    func runner(_ arguments: [String], in project: Project, environment: [String: String] = [:]) throws -> Job {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let summaryPath = state + "/step-summary.md"
        try? FileManager.default.removeItem(atPath: summaryPath)
        let result = try run(
            "python3",
            [services.scripts + "/testservices/ci_runner.py"] + arguments + ["--workspace", project.directory]
                + (arguments.first == "gitlab-job" ? [] : ["--state", state]),
            environment: [
                "HOME": home, "DOCKER_CONFIG": home + "/.docker", "DOCKER_HOST": services.dockerHost, "SWIFT_IMAGES_CACHE": "",
                "XDG_CACHE_HOME": "",
            ].merging(environment) { $1 },
            check: false)
        let outputs = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: String] ?? [:]
        return Job(result: result, outputs: outputs, summary: (try? String(contentsOfFile: summaryPath, encoding: .utf8)) ?? "")
    }

    /// What an earlier job would have left in the cache service: the tool built for this
    /// toolchain, under the key the action's own `tool` step computes (a clean release build
    /// takes minutes; the build step itself is what a cache miss runs).
    func seedToolCache() throws {
        let outputFile = state + "/seed-output"
        #expect(FileManager.default.createFile(atPath: outputFile, contents: nil))
        try run(
            services.scripts + "/github-action.sh", ["tool"],
            environment: [
                "GITHUB_ACTION_PATH": repositoryRoot, "GITHUB_OUTPUT": outputFile, "RUNNER_TOOL_CACHE": state + "/tool-cache",
            ])
        let lines = try String(contentsOfFile: outputFile, encoding: .utf8).split(separator: "\n")
        let key = try #require(lines.first { $0.hasPrefix("key=") }?.dropFirst(4))
        let stored = state + "/caches/" + key
        try FileManager.default.createDirectory(atPath: stored, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try imagesBinary(), toPath: stored + "/images")
    }

    /// A locked project declaring one fresh image of `registry`, with a budget.
    func lockedProject(on registry: String, budget: String = "10 MB") throws -> (Project, reference: String) {
        let repository = TestServices.uniqueRepository("ci")
        try run(services.scripts + "/random-image.sh", [registry, "\(repository)/app:1", "3000"])
        let reference = "\(registry)/\(repository)/app:1"
        let project = try Project(images: [#"{"ref": "\#(reference)", "budget": {"compressed": "\#(budget)"}}"#])
        let lock = try images(["lock"], in: project)
        #expect(lock.status == 0, "\(lock.stderr)")
        return (project, reference)
    }

    @Test func aColdJobFillsTheCacheTheNextNeedsNoRegistryAndABlownBudgetFailsWithTheReport() throws {
        defer { try? FileManager.default.removeItem(atPath: state) }
        try seedToolCache()
        // A registry of the test's own, so that it can be gone for the second job.
        let registry = try TestRegistry(scripts: services.scripts)
        let (project, reference) = try lockedProject(on: registry.address)
        let key = try images(["cache-key"], in: project).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let cold = try job(project, inputs: ["load": "true", "check": "true"])
        #expect(cold.summary.contains("| ✅ \(reference)"), "\(cold.summary)")
        #expect(cold.result.status == 0, "\(cold.result.stderr)")
        #expect(cold.result.stderr.contains(", from the cache"), "the seeded tool was not restored: \(cold.result.stderr)")
        #expect(cold.outputs["cache-key"] == key)
        #expect(cold.outputs["cache-hit"] == "false")
        #expect(cold.outputs["images"]?.hasSuffix("/images") == true)
        #expect(cold.result.stderr.contains("Cache saved with key: \(key)"), "\(cold.result.stderr)")
        #expect(cold.summary.contains(reference), "no report in the job summary: \(cold.summary)")
        #expect(try services.docker(["image", "inspect", reference], check: false).status == 0, "load did not load")
        defer { _ = try? services.docker(["rmi", "-f", reference], check: false) }

        registry.stop()
        let warm = try job(project, inputs: [:])
        #expect(warm.result.status == 0, "with the registry gone, the restored cache must be enough: \(warm.result.stderr)")
        #expect(warm.outputs["cache-hit"] == "true")
        #expect(!warm.result.stderr.contains("Cache saved"), "a restored cache is saved again: \(warm.result.stderr)")
        #expect(warm.summary.contains(reference))

        // Budgets are not part of the lock: the same cache serves, and the check fails the job
        // with the excess in the summary.
        try project.write(images: [#"{"ref": "\#(reference)", "budget": {"compressed": "1 KB"}}"#])
        let blown = try job(project, inputs: ["check": "true", "summary": "true"])
        #expect(blown.result.status == 1, "\(blown.result.stderr)")
        #expect(blown.outputs["cache-hit"] == "true")
        #expect(blown.summary.contains("| ❌ \(reference)"), "the blown budget is not in the summary: \(blown.summary)")
        #expect(blown.result.stderr.contains("failed with exit code 1"), "\(blown.result.stderr)")
    }

    @Test func aWorkspaceWithoutALockFailsAndSavesNoImageCache() throws {
        defer { try? FileManager.default.removeItem(atPath: state) }
        try seedToolCache()
        let project = try Project(images: ["\(services.registry)/none/such:1"])
        let failed = try job(project, inputs: [:])
        #expect(failed.result.status == 1)
        #expect(failed.result.stderr.contains("images.lock.json"), "\(failed.result.stderr)")
        let caches = try FileManager.default.contentsOfDirectory(atPath: state + "/caches")
        #expect(caches.allSatisfy { $0.hasPrefix("swift-images-tool-") }, "an image cache was saved: \(caches)")
    }

    /// The two GitHub jobs of docs/ci.md, as written (but `swift test`): on the runner's own
    /// Docker, and in a container job whose daemon cannot reach the job's loopback (a dockerd in a
    /// network namespace of its own stands in for the host's daemon seen from a job container).
    @Test(arguments: [(0, false), (1, true)])
    func theGitHubJobsOfTheDocsRunAsWritten(index: Int, inContainer: Bool) throws {
        defer { try? FileManager.default.removeItem(atPath: state) }
        try seedToolCache()
        let (project, reference) = try lockedProject(on: services.registry)
        let daemon = inContainer ? services.isolatedDockerHost : services.dockerHost
        let job = try runner(
            ["github-job", repositoryRoot + "/docs/ci.md", String(index), "--action", repositoryRoot, "--skip", "^swift test$"],
            in: project, environment: ["DOCKER_HOST": daemon])
        #expect(job.result.status == 0, "\(job.result.stderr)")
        #expect(job.result.stderr.contains("(left out: 'swift test')"), "\(job.result.stderr)")
        let container = try JSONSerialization.jsonObject(with: Data(job.result.stdout.utf8)) as? [String: Any]
        #expect((container?["container"] as? String)?.isEmpty == !inContainer, "docs/ci.md's job \(index) is not the one meant")
        #expect(try services.docker(["image", "inspect", reference], host: daemon, check: false).status == 0, "not loaded")
        _ = try? services.docker(["rmi", "-f", reference], host: daemon, check: false)
        #expect(job.summary.contains(reference))
    }

    /// docs/ci.md's GitLab job, as written (but `swift test`), with the tool cache restored and a
    /// dockerd serving TLS over TCP in place of `docker:dind`; a budget fails the job, and the
    /// report is still there for the artifact.
    @Test func theGitLabJobOfTheDocsRunsAsWrittenAndKeepsTheReportOfABlownBudget() throws {
        defer { try? FileManager.default.removeItem(atPath: state) }
        let (project, reference) = try lockedProject(on: services.registry, budget: "1 KB")
        try FileManager.default.createDirectory(atPath: project.directory + "/.images-tool", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try imagesBinary(), toPath: project.directory + "/.images-tool/images")
        let job = try runner(
            [
                "gitlab-job", repositoryRoot + "/docs/ci.md", "test", "--skip", "^swift test$",
                "--variable", "DOCKER_HOST=\(services.dockerTLSHost)", "--variable", "DOCKER_CERT_PATH=\(services.dockerCertPath)",
            ],
            in: project)
        #expect(job.result.status == 1, "the budget of 1 KB must fail the job: \(job.result.stderr)")
        #expect(job.result.stderr.contains("$ images pull --locked"), "\(job.result.stderr)")
        #expect(!job.result.stderr.contains("Building for"), "the restored tool was built again: \(job.result.stderr)")
        let answer = try JSONSerialization.jsonObject(with: Data(job.result.stdout.utf8)) as? [String: Any]
        #expect((answer?["artifacts"] as? [String: Bool]) == ["image-sizes.md": true], "\(job.result.stdout)")
        let report = try String(contentsOfFile: project.directory + "/image-sizes.md", encoding: .utf8)
        #expect(report.contains("| ❌ \(reference)"), "\(report)")
        #expect(FileManager.default.fileExists(atPath: project.directory + "/.images-cache/index.json"), "SWIFT_IMAGES_CACHE not used")
        #expect(try services.docker(["image", "inspect", reference], check: false).status == 0, "not loaded over TLS")
        _ = try? services.docker(["rmi", "-f", reference], check: false)
    }
}
