import Foundation
import ImagesKit
import Testing

/// The auth flows against real registries: htpasswd (Basic), token (Bearer, with a token
/// service the registry verifies), and a registry whose blobs redirect to another origin.
@Suite(.needsTestServices) struct AuthTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    @Test func basicAuthUsesTheDockerConfigCredentials() async throws {
        let project = try Project(images: ["\(services.basicRegistry)/test/app:1"])
        try project.login([services.basicRegistry], user: services.user, password: services.password)
        let results = try await project.withWorkspace {
            try await $0.pull().images
        }
        #expect(results.map(\.status) == [.pulled])
    }

    @Test func basicAuthWithoutCredentialsSaysWhatToDo() async throws {
        let project = try Project(images: ["\(services.basicRegistry)/test/app:1"])
        await #expect {
            try await project.withWorkspace { try await $0.lock(update: []) }
        } throws: { error in
            String(describing: error).contains(
                "registry \(services.basicRegistry) requires Basic authentication and no credentials are configured")
        }
    }

    @Test func wrongBasicCredentialsAreDeniedWithTheRegistryMessage() async throws {
        let project = try Project(images: ["\(services.basicRegistry)/test/app:1"])
        try project.login([services.basicRegistry], user: services.user, password: "wrong-password")
        await #expect {
            try await project.withWorkspace { try await $0.lock(update: []) }
        } throws: { error in
            let text = String(describing: error)
            return text.contains("not found or access denied") && text.contains("UNAUTHORIZED")
                && !text.contains("wrong-password")
        }
    }

    @Test func bearerTokensAreFetchedOncePerRepository() async throws {
        let before = try services.stats(services.tokenStats)["by_scope"] as? [String: Int] ?? [:]
        let project = try Project(images: [
            "\(services.tokenRegistry)/test/base:1", "\(services.tokenRegistry)/test/app:1",
            #"{"ref": "\#(services.tokenRegistry)/test/multi:1", "platforms": ["linux/amd64", "linux/arm64"]}"#,
        ])
        let results = try await project.withWorkspace {
            try await $0.pull().images
        }
        #expect(results.count == 4)
        #expect(results.allSatisfy { $0.status == .pulled })
        let after = try services.stats(services.tokenStats)["by_scope"] as? [String: Int] ?? [:]
        for repository in ["test/base", "test/app", "test/multi"] {
            let scope = "repository:\(repository):pull"
            #expect((after[scope] ?? 0) - (before[scope] ?? 0) == 1, "token requests for \(scope)")
        }
    }

    @Test func credentialsAreNotSentAlongARedirectToAnotherHost() async throws {
        let before = try services.stats(services.redirectStats)
        let project = try Project(images: ["\(services.redirectRegistry)/test/app:1"])
        try project.login([services.redirectRegistry], user: services.user, password: services.password)
        let results = try await project.withWorkspace {
            try await $0.pull().images
        }
        #expect(results.map(\.status) == [.pulled])
        let after = try services.stats(services.redirectStats)
        let redirected = (after["storage_requests"] as! Int) - (before["storage_requests"] as! Int)
        let withAuthorization =
            (after["storage_requests_with_authorization"] as! Int) - (before["storage_requests_with_authorization"] as! Int)
        #expect(redirected >= 3)  // the config while locking, then the layers
        #expect(withAuthorization == 0)
    }

    @Test func verboseOutputNeverShowsTheSecret() throws {
        let project = try Project(images: ["\(services.basicRegistry)/test/base:1"])
        try project.login([services.basicRegistry], user: services.user, password: services.password)
        let result = try images(["pull", "-v"], in: project)
        #expect(result.status == 0)
        let everything = result.stdout + result.stderr + (try project.lockText())
        #expect(everything.contains("GET http://\(services.basicRegistry)/v2/"))
        #expect(!everything.contains(services.password))
        #expect(!everything.contains(Data("\(services.user):\(services.password)".utf8).base64EncodedString()))
    }

    // MARK: Where credentials come from

    @Test(arguments: ["credHelpers", "credsStore"])
    func aCredentialHelperOnPathGivesTheCredentials(section: String) throws {
        let project = try Project(images: ["\(services.basicRegistry)/test/base:1"])
        let path = try project.installCredentialHelper(
            "swiftimagestest", server: services.basicRegistry, username: services.user, secret: services.password)
        try project.writeDockerConfig(
            section == "credsStore"
                ? #"{"credsStore": "swiftimagestest", "auths": {"\#(services.basicRegistry)": {}}}"#
                : #"{"credHelpers": {"\#(services.basicRegistry)": "swiftimagestest"}}"#)
        let pull = try images(["pull", "-v"], in: project, environment: ["PATH": path])
        #expect(pull.status == 0, "\(pull.stderr)")
        // Asked once, with the registry as written, however many requests the pull made.
        let asked = try String(contentsOfFile: project.directory + "/bin/asked", encoding: .utf8)
        #expect(asked == services.basicRegistry + "\n")
        #expect(!(pull.stdout + pull.stderr + (try project.lockText())).contains(services.password))
    }

    @Test func aHelperThatIsMissingOrFailsIsAClearError() throws {
        let project = try Project(images: ["\(services.basicRegistry)/test/base:1"])
        try project.writeDockerConfig(#"{"credHelpers": {"\#(services.basicRegistry)": "nosuchhelper"}}"#)
        let missing = try images(["lock"], in: project)
        #expect(missing.status == 1)
        #expect(
            missing.stderr.contains(
                "cannot read credentials from docker-credential-nosuchhelper: the credential helper is not on PATH"))

        let path = try project.installCredentialHelper("broken", server: "elsewhere", username: "u", secret: "s")
        try Data("#!/bin/sh\necho 'a secret-ish diagnostic'\nexit 3\n".utf8).write(
            to: URL(fileURLWithPath: project.directory + "/bin/docker-credential-broken"))
        try project.writeDockerConfig(#"{"credHelpers": {"\#(services.basicRegistry)": "broken"}}"#)
        let failing = try images(["lock"], in: project, environment: ["PATH": path])
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("'get' for \(services.basicRegistry) exited with status 3"))
        #expect(!failing.stderr.contains("secret-ish"))
    }

    /// Pushes an image of its own to `repository:1` on the token registry, so that a test counts
    /// only its own token requests (a copy of a fixture would have skopeo ask for tokens of the
    /// fixture's repository, to mount its blobs).
    func pushToTokenRegistry(_ repository: String) throws -> String {
        try run(
            services.scripts + "/random-image.sh",
            [services.tokenRegistry, "\(repository):1", "100000", "--dest-creds", "\(services.user):\(services.password)"])
        return "\(services.tokenRegistry)/\(repository):1"
    }

    @Test func identityTokensAreExchangedWithAPost() throws {
        let identity = "identity-" + services.password
        let image = try pushToTokenRegistry(TestServices.uniqueRepository("identity"))
        let before = try services.stats(services.tokenStats)["refresh_grants"] as? Int ?? 0
        // From the config file's identitytoken…
        let fromFile = try Project(images: [image])
        try fromFile.writeDockerConfig(#"{"auths": {"\#(services.tokenRegistry)": {"identitytoken": "\#(identity)"}}}"#)
        let first = try images(["pull", "-v"], in: fromFile)
        #expect(first.status == 0, "\(first.stderr)")
        let afterFile = try services.stats(services.tokenStats)["refresh_grants"] as? Int ?? 0
        #expect(afterFile > before)
        // …and from a helper that answers with the username <token>.
        let fromHelper = try Project(images: [image])
        let path = try fromHelper.installCredentialHelper(
            "tokentest", server: services.tokenRegistry, username: "<token>", secret: identity)
        try fromHelper.writeDockerConfig(#"{"credsStore": "tokentest"}"#)
        let second = try images(["pull", "-v"], in: fromHelper, environment: ["PATH": path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try services.stats(services.tokenStats)["refresh_grants"] as? Int ?? 0 > afterFile)
        for output in [first, second] {
            #expect(!(output.stdout + output.stderr).contains(identity))
        }

        let wrong = try Project(images: [image])
        try wrong.writeDockerConfig(#"{"auths": {"\#(services.tokenRegistry)": {"identitytoken": "not-the-token"}}}"#)
        let denied = try images(["lock"], in: wrong)
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("not found or access denied"))
        #expect(denied.stderr.contains("invalid_grant"))
        #expect(!denied.stderr.contains("not-the-token"))
    }

    @Test func environmentVariablesNamedInTheManifestHoldCISecrets() throws {
        let registry = services.basicRegistry
        let project = try Project(
            images: ["\(registry)/test/base:1"],
            extra: #""registries": {"\#(registry)": {"usernameEnv": "CI_REGISTRY_USER", "passwordEnv": "CI_REGISTRY_PASSWORD"}},"#
        )
        let secrets = ["CI_REGISTRY_USER": services.user, "CI_REGISTRY_PASSWORD": services.password]
        let pull = try images(["pull", "-v", "--json"], in: project, environment: secrets)
        #expect(pull.status == 0, "\(pull.stderr)")
        let written =
            pull.stdout + pull.stderr + (try project.lockText())
            + (try String(contentsOfFile: project.cache + "/.swift-images/metadata.json", encoding: .utf8))
            + (try String(contentsOfFile: project.cache + "/index.json", encoding: .utf8))
        #expect(!written.contains(services.password))
        #expect(!written.contains(Data("\(services.user):\(services.password)".utf8).base64EncodedString()))

        // Unset, the next source is asked: here there is none.
        let unset = try images(["lock", "--update"], in: project)
        #expect(unset.status == 1)
        #expect(unset.stderr.contains("requires Basic authentication and no credentials are configured"))

        // The secret itself written where a variable's name belongs: refused, and not repeated.
        try project.write(
            images: ["\(registry)/test/base:1"],
            extra: #""registries": {"\#(registry)": {"usernameEnv": "U", "passwordEnv": "s3cr3t!pw"}},"#)
        let misuse = try images(["lock"], in: project)
        #expect(misuse.status == 1)
        #expect(misuse.stderr.contains("passwordEnv"))
        #expect(misuse.stderr.contains("must name an environment variable"))
        #expect(!misuse.stderr.contains("s3cr3t!pw"))
    }

    @Test func aTokenTheRegistryStopsTakingIsRenewedOnce() async throws {
        let image = try pushToTokenRegistry(TestServices.uniqueRepository("expiring"))
        let before = try services.stats(services.tokenStats)["expiring_tokens"] as? Int ?? 0
        let project = try Project(images: [image])
        // One client: the token from the lock is cached as valid for 300 s, and refused after 3.
        let pulled = try await project.withWorkspace { workspace in
            _ = try await workspace.lock(update: [])
            try await Task.sleep(for: .seconds(5))
            return try await workspace.pull(locked: true).images
        }
        #expect(pulled.map(\.status) == [.pulled])
        // One token refused, one more asked for, and that one kept: not a token per request.
        #expect(try services.stats(services.tokenStats)["expiring_tokens"] as? Int ?? 0 == before + 2)
    }
}
