import Foundation
import ImagesKit
import Testing

/// The auth flows against real registries: htpasswd (Basic), token (Bearer, with a token
/// service the registry verifies), and a registry whose blobs redirect to another origin.
@Suite struct AuthTests {
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
}
