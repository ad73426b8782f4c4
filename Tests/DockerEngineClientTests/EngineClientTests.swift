import HTTP1Client
import Testing

@testable import DockerEngineClient

@Suite struct EngineClientTests {
    @Test func apiVersionsCompareNumerically() {
        #expect(DockerEngineClient.compare("1.41", "1.41") == 0)
        #expect(DockerEngineClient.compare("1.41", "1.44") < 0)
        #expect(DockerEngineClient.compare("1.100", "1.44") > 0)
        #expect(DockerEngineClient.compare("2.0", "1.99") > 0)
    }

    @Test func chainIDsFollowTheImageSpec() {
        let (a, b, c) = (
            "sha256:" + String(repeating: "a", count: 64), "sha256:" + String(repeating: "b", count: 64),
            "sha256:" + String(repeating: "c", count: 64)
        )
        // Computed with Python's hashlib: sha256("<chain below> <diff ID>").
        #expect(
            DockerEngineClient.chainIDs([a, b, c]) == [
                a, "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c",
                "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588",
            ])
        #expect(DockerEngineClient.chainIDs([]) == [])
    }

    @Test(
        arguments: [
            // History sizes oldest first, layer count, the config's empty_layer flags → layer sizes.
            ([100, 0, 5], 2, nil, [100, 5]),  // an empty entry between two layers
            ([0, 5, 0], 2, nil, [5, 0]),  // a layer of no bytes: the latest candidate is taken
            ([0, 5, 0], 2, [false, false, true], [0, 5]),  // the config says which
            ([0, 0], 2, nil, [0, 0]),
            ([7], 0, nil, nil),  // more sized entries than layers
            ([], 1, nil, nil),  // no history
            ([3, 4], 2, [false], [3, 4]),  // flags that do not match the history are ignored
        ] as [([Int64], Int, [Bool]?, [Int64]?)])
    func layerSizesFromHistory(sizes: [Int64], layers: Int, emptyLayers: [Bool]?, expected: [Int64]?) {
        #expect(DockerEngineClient.layerSizes(historySizes: sizes, layerCount: layers, emptyLayers: emptyLayers) == expected)
    }

    @Test func dockerHostForms() throws {
        let http = HTTPClient()
        defer { http.shutdown() }
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
            String(describing: error).contains("ssh://me@host (given) is not an address this tool reaches the engine at")
        }
    }

    @Test func aMissingSocketIsAClearError() async throws {
        let http = HTTPClient()
        let client = try DockerEngineClient(host: "unix:///nonexistent/docker.sock", httpClient: http)
        await #expect {
            try await client.apiVersion()
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("cannot reach the Docker daemon at unix:///nonexistent/docker.sock")
                && text.hasSuffix("no socket there; is the daemon running?")
        }
        // Found by default, nothing having named it: the message says how to name another one.
        let byDefault = try DockerEngineClient(
            endpoint: EngineEndpoint(host: "unix:///nonexistent/docker.sock", origin: EngineEndpoint.defaultOrigin), httpClient: http)
        await #expect {
            try await byDefault.apiVersion()
        } throws: { error in
            String(describing: error).hasSuffix(
                "is the daemon running? Nothing named another engine: for Podman, Colima, Docker Desktop or a remote daemon, "
                    + "set DOCKER_HOST (unix:///run/podman/podman.sock, tcp://HOST:2376 with DOCKER_TLS_VERIFY=1) "
                    + "or choose a Docker context (DOCKER_CONTEXT, 'docker context use NAME')")
        }
        http.shutdown()
    }
}
