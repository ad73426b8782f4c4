import AsyncHTTPClient
import Testing

@testable import DockerEngineClient

@Suite struct EngineClientTests {
    @Test func apiVersionsCompareNumerically() {
        #expect(DockerEngineClient.compare("1.41", "1.41") == 0)
        #expect(DockerEngineClient.compare("1.41", "1.44") < 0)
        #expect(DockerEngineClient.compare("1.100", "1.44") > 0)
        #expect(DockerEngineClient.compare("2.0", "1.99") > 0)
    }

    @Test func dockerHostForms() throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { try? http.syncShutdown() }
        let unix = try DockerEngineClient(host: "unix:///var/run/docker.sock", httpClient: http)
        #expect(unix.baseURL == "http+unix://%2Fvar%2Frun%2Fdocker.sock")
        let tcp = try DockerEngineClient(host: "tcp://127.0.0.1:2375", httpClient: http)
        #expect(tcp.baseURL == "http://127.0.0.1:2375")
        let fromEnvironment = try DockerEngineClient(
            host: nil, httpClient: http, environment: ["DOCKER_HOST": "unix:///tmp/d.sock"])
        #expect(fromEnvironment.host == "unix:///tmp/d.sock")
        let fallback = try DockerEngineClient(host: nil, httpClient: http, environment: [:])
        #expect(fallback.host == "unix:///var/run/docker.sock")
        #expect {
            try DockerEngineClient(host: "ssh://me@host", httpClient: http)
        } throws: { error in
            String(describing: error).contains("DOCKER_HOST=ssh://me@host is not supported")
        }
    }

    @Test func aMissingSocketIsAClearError() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let client = try DockerEngineClient(host: "unix:///nonexistent/docker.sock", httpClient: http)
        await #expect {
            try await client.apiVersion()
        } throws: { error in
            String(describing: error).hasPrefix("cannot reach the Docker daemon at unix:///nonexistent/docker.sock")
        }
        try await http.shutdown()
    }
}
