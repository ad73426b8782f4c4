import HTTP1Client
import Foundation
import Logging
import Testing

@testable import RegistryClient

@Suite struct RegistryEndpointTests {
    func client(_ registries: [String: RegistrySettings]) -> (RegistryClient, HTTPClient) {
        let http = RegistryClient.makeHTTPClient()
        return (
            RegistryClient(httpClient: http, registries: registries, credentials: DockerConfigCredentials(entries: [:])), http
        )
    }

    @Test func plainHTTPOnlyForLoopbackAndInsecureRegistries() async throws {
        let (client, http) = client(["registry.internal:5000": RegistrySettings(insecure: true)])
        #expect(client.baseURL(for: "ghcr.io") == "https://ghcr.io")
        #expect(client.baseURL(for: "docker.io") == "https://registry-1.docker.io")
        #expect(client.baseURL(for: "registry.internal:5000") == "http://registry.internal:5000")
        #expect(client.baseURL(for: "registry.internal:5001") == "https://registry.internal:5001")
        #expect(client.baseURL(for: "localhost:5000") == "http://localhost:5000")
        #expect(client.baseURL(for: "127.0.0.1:5000") == "http://127.0.0.1:5000")
        http.shutdown()
    }

    @Test func redirectsKeepCredentialsOnlyOnTheSameOrigin() {
        #expect(RegistryClient.sameOrigin("http://127.0.0.1:5000/v2/a/blobs/x", "http://127.0.0.1:5000"))
        #expect(!RegistryClient.sameOrigin("http://localhost:5000/v2/a", "http://127.0.0.1:5000"))
        #expect(!RegistryClient.sameOrigin("https://127.0.0.1:5000/v2/a", "http://127.0.0.1:5000"))
        #expect(!RegistryClient.sameOrigin("http://127.0.0.1:5001/v2/a", "http://127.0.0.1:5000"))
        #expect(!RegistryClient.sameOrigin("https://storage.example/bucket/blob?sig=1", "https://registry.example"))
    }
}
