import HTTP1Client
import Foundation
import Logging
import Testing

@testable import RegistryClient

@Suite struct CredentialsTests {
    func configFile(_ json: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: directory.appendingPathComponent("config.json"))
        return directory.path
    }

    @Test func readsAuthsAndNormalisesDockerHubKeys() throws {
        let auth = Data("user:pa:ss".utf8).base64EncodedString()
        let directory = try configFile(
            #"{"auths":{"https://index.docker.io/v1/":{"auth":"\#(auth)"},"localhost:5000":{"username":"u","password":"p"}}}"#)
        let credentials = try DockerConfigCredentials(environment: ["DOCKER_CONFIG": directory])
        #expect(try credentials.credentials(for: "docker.io") == Credentials(username: "user", password: "pa:ss"))
        #expect(try credentials.credentials(for: "localhost:5000") == Credentials(username: "u", password: "p"))
        #expect(try credentials.credentials(for: "ghcr.io") == nil)
    }

    @Test(arguments: ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"])
    func everyDockerHubKeyFindsTheCredentials(_ key: String) throws {
        let auth = Data("a:b".utf8).base64EncodedString()
        let directory = try configFile(#"{"auths":{"\#(key)":{"auth":"\#(auth)"}}}"#)
        #expect(
            try DockerConfigCredentials(environment: ["DOCKER_CONFIG": directory]).credentials(for: "docker.io")?.username == "a")
    }

    @Test func missingConfigMeansNoCredentials() throws {
        let credentials = try DockerConfigCredentials(environment: ["DOCKER_CONFIG": "/nonexistent/\(UUID().uuidString)"])
        #expect(try credentials.credentials(for: "docker.io") == nil)
    }

    @Test func identityTokensAndHelpersInDockersOrder() throws {
        let auth = Data("a:b".utf8).base64EncodedString()
        let directory = try configFile(
            #"{"auths":{"id.example":{"identitytoken":"refresh-me"},"plain.example":{"auth":"\#(auth)"}},"#
                + #""credHelpers":{"helped.example":"nosuchhelper-\#(UUID().uuidString.prefix(8))"}}"#)
        let credentials = try DockerConfigCredentials(environment: ["DOCKER_CONFIG": directory, "PATH": "/nonexistent"])
        let identity = try #require(try credentials.credentials(for: "id.example"))
        #expect(identity.identityToken == "refresh-me")
        #expect(identity.basicAuthorization == nil)
        #expect(!String(describing: identity).contains("refresh-me"))
        #expect(try credentials.credentials(for: "plain.example")?.username == "a")
        // A registry's helper comes first, and a missing one is an error, not silence.
        #expect {
            try credentials.credentials(for: "helped.example")
        } throws: { error in
            String(describing: error).contains("the credential helper is not on PATH")
        }
    }

    @Test func environmentCredentialsReadTheNamedVariablesOnly() {
        let provider = EnvironmentCredentials(
            [
                "ghcr.io": .usernameAndPassword(username: "GH_USER", password: "GH_TOKEN"),
                "https://index.docker.io/v1/": .identityToken("HUB_TOKEN"),
            ],
            environment: ["GH_USER": "me", "GH_TOKEN": "t0ken", "HUB_TOKEN": ""])
        #expect(provider.credentials(for: "ghcr.io") == Credentials(username: "me", password: "t0ken"))
        #expect(provider.credentials(for: "docker.io") == nil)  // empty: the next source is asked
        #expect(provider.credentials(for: "quay.io") == nil)
    }

    @Test func aPlainHTTPRealmIsRefusedForARegistryThatIsNotInsecure() async throws {
        let http = RegistryClient.makeHTTPClient()
        let authenticator = Authenticator(
            transport: Transport(http: http, retryPolicy: .never, logger: Logger(label: "test")),
            credentials: DockerConfigCredentials(entries: [:]), logger: Logger(label: "test"))
        let challenge = try #require(AuthChallenge(header: #"Bearer realm="http://auth.example/token",service="r""#))
        await #expect {
            try await authenticator.authorize(
                registry: "registry.example", scope: "repository:a:pull", challenge: challenge, rejected: nil)
        } throws: { error in
            String(describing: error).contains(
                "registry registry.example sent this client to http://auth.example/token?service=r&scope=repository:a:pull; refusing it: plain HTTP to a host that is not loopback"
            )
        }
        // The challenge is remembered; the next request's token is refused all the same.
        await #expect {
            try await authenticator.authorization(registry: "registry.example", scope: "repository:a:pull")
        } throws: { error in
            String(describing: error).contains("plain HTTP")
        }
        http.shutdown()
    }

    @Test func aChallengeWidensTheScope() throws {
        let challenge = try #require(
            AuthChallenge(
                header:
                    #"Bearer realm="https://auth.example/token",service="r",scope="repository:a:pull repository:b:pull",error="insufficient_scope""#
            ))
        #expect(
            Authenticator.scope("repository:a:pull", widenedBy: challenge) == "repository:a:pull repository:b:pull")
        #expect(
            Authenticator.scope("repository:a:pull", widenedBy: try #require(AuthChallenge(header: "Bearer realm=\"x\"")))
                == "repository:a:pull")
    }

    @Test func badAuthFieldIsAnErrorThatDoesNotShowTheSecret() throws {
        let directory = try configFile(#"{"auths":{"r.example":{"auth":"bm9jb2xvbg=="}}}"#)  // "nocolon"
        #expect {
            try DockerConfigCredentials(environment: ["DOCKER_CONFIG": directory])
        } throws: { error in
            let text = String(describing: error)
            return text.contains("r.example") && !text.contains("nocolon") && !text.contains("bm9jb2xvbg")
        }
    }

    @Test func descriptionRedactsThePassword() {
        let text = String(describing: Credentials(username: "me", password: "hunter2"))
        #expect(text.contains("me"))
        #expect(!text.contains("hunter2"))
    }

    }
