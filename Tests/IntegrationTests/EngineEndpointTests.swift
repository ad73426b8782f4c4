import Foundation
import Testing

/// Reaching the engine as Docker's CLI does: `DOCKER_HOST` over TCP with TLS (the test daemon's
/// `--tlsverify` listener, as `docker:dind` serves it), and contexts written by Docker's own CLI
/// (`docker context create`, `docker context use`) into the project's `DOCKER_CONFIG`.
@Suite(.needsTestServices) struct EngineEndpointTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    var tlsEnvironment: [String: String] {
        ["DOCKER_HOST": services.dockerTLSHost, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": services.dockerCertPath]
    }

    /// Runs Docker's CLI with the project's configuration directory.
    func dockerCLI(_ arguments: [String], in project: Project) throws {
        try run("docker", ["--config", project.directory + "/docker"] + arguments)
    }

    @Test func overTLSLoadListInspectPruneAndRemoveWork() throws {
        let (project, reference) = try services.pulledProject("endpoint")
        let load = try images(["load"], in: project, environment: tlsEnvironment)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stderr.contains("1 loaded"), "\(load.stderr)")
        // The same daemon, asked through its unix socket, has it.
        #expect(try services.docker(["image", "inspect", reference], check: false).status == 0)

        let listed = try images(["ls", "--engine", "--json"], in: project, environment: tlsEnvironment)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains(#""status" : "present""#), "\(listed.stdout)")
        let inspected = try images(["inspect", "--engine", reference], in: project, environment: tlsEnvironment)
        #expect(inspected.status == 0 && inspected.stdout.contains(#""RepoTags""#), "\(inspected.stderr)")
        let again = try images(["load"], in: project, environment: tlsEnvironment)
        #expect(again.stderr.contains("0 loaded, 1 already present"), "\(again.stderr)")

        let prune = try images(["prune", "--engine", "--dry-run", "--grace", "0"], in: project, environment: tlsEnvironment)
        #expect(prune.status == 0 && prune.stdout.contains("kept \(reference): declared"), "\(prune)")

        let removed = try images(["rm", "--engine", reference], in: project, environment: tlsEnvironment)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try services.docker(["image", "inspect", reference], check: false).status != 0)
    }

    @Test func contextsWrittenByDockersCLIAreFollowed() throws {
        let (project, reference) = try services.pulledProject("endpoint")
        let certs = services.dockerCertPath
        try dockerCLI(
            [
                "context", "create", "dind",
                "--docker", "host=\(services.dockerTLSHost),ca=\(certs)/ca.pem,cert=\(certs)/cert.pem,key=\(certs)/key.pem",
            ], in: project)
        try dockerCLI(["context", "create", "local", "--docker", "host=\(services.dockerHost)"], in: project)

        // DOCKER_CONTEXT names it: TLS with the files the context store holds.
        let load = try images(["load"], in: project, environment: ["DOCKER_CONTEXT": "dind"])
        #expect(load.status == 0, "\(load.stderr)")
        #expect(try services.docker(["image", "inspect", reference], check: false).status == 0)

        // `docker context use` writes currentContext to config.json; nothing else is set.
        try dockerCLI(["context", "use", "local"], in: project)
        let listed = try images(["ls", "--engine", "--json"], in: project)
        #expect(listed.status == 0 && listed.stdout.contains(#""status" : "present""#), "\(listed.stderr)")

        // DOCKER_HOST comes before any context, as for Docker's CLI.
        try dockerCLI(["context", "use", "dind"], in: project)
        let overridden = try images(
            ["ls", "--engine"], in: project, environment: ["DOCKER_HOST": "unix:///nonexistent/docker.sock"])
        #expect(overridden.status == 1)
        #expect(overridden.stderr.contains("at unix:///nonexistent/docker.sock (DOCKER_HOST)"), "\(overridden.stderr)")
        #expect(overridden.stderr.contains("there is no socket there; is the daemon running?"))
        _ = try images(["rm", "--engine", reference], in: project, environment: tlsEnvironment)
    }

    @Test func whatCannotBeUsedSaysWhatAndWhere() throws {
        let (project, _) = try services.pulledProject("endpoint")
        try dockerCLI(
            ["context", "create", "careless", "--docker", "host=\(services.dockerTLSHost),skip-tls-verify=true"], in: project)
        let cases: [([String: String], String)] = [
            (
                ["DOCKER_CONTEXT": "careless"],
                "context careless (DOCKER_CONTEXT) cannot be used to reach the engine: it skips verifying the daemon's TLS certificate"
            ),
            (
                ["DOCKER_CONTEXT": "nowhere"],
                "context nowhere (DOCKER_CONTEXT) cannot be used to reach the engine: there is no such context in \(project.directory)/docker/contexts"
            ),
            (
                ["DOCKER_HOST": services.dockerTLSHost, "DOCKER_TLS": "1"],
                "DOCKER_TLS cannot be used to reach the engine: it asks for TLS without verifying the daemon's certificate"
            ),
            (
                ["DOCKER_HOST": services.dockerTLSHost],
                "(DOCKER_HOST) cannot be used to reach the engine: the daemon speaks TLS; set DOCKER_TLS_VERIFY=1"
            ),
            (
                ["DOCKER_HOST": services.dockerTLSHost, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": project.directory],
                "DOCKER_TLS_VERIFY cannot be used to reach the engine: there is no ca.pem in \(project.directory)"
            ),
            (["DOCKER_HOST": "ssh://me@example.com"], "ssh://me@example.com (DOCKER_HOST) is not an address this tool reaches"),
        ]
        for (environment, message) in cases {
            let result = try images(["ls", "--engine"], in: project, environment: environment)
            #expect(result.status == 1, "\(environment)")
            #expect(result.stderr.contains("error: " + message) || result.stderr.contains(message), "\(result.stderr)")
        }

        // A CA that did not sign the daemon's certificate, and no client certificate.
        let otherCA = project.directory + "/other-ca"
        try FileManager.default.createDirectory(atPath: otherCA, withIntermediateDirectories: true)
        try run(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", otherCA + "/ca-key.pem", "-out", otherCA + "/ca.pem",
                "-days", "1", "-subj", "/CN=other",
            ])
        let caOnly = project.directory + "/ca-only"
        try FileManager.default.createDirectory(atPath: caOnly, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: services.dockerCertPath + "/ca.pem", toPath: caOnly + "/ca.pem")
        for (directory, message) in [
            (otherCA, "its TLS certificate does not verify against the CA given (ca.pem)"),
            (caOnly, "the TLS handshake failed; does the daemon take this client's certificate (cert.pem, key.pem)?"),
        ] {
            var environment = tlsEnvironment
            environment["DOCKER_CERT_PATH"] = directory
            let result = try images(["ls", "--engine"], in: project, environment: environment)
            #expect(result.status == 1)
            #expect(result.stderr.contains("cannot reach the Docker daemon at \(services.dockerTLSHost) (DOCKER_HOST, TLS)"))
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
    }
}
