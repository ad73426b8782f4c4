import Testing

@testable import RegistryClient

/// Which URLs a request may go to (`URLPolicy`), for a remote registry, one on loopback, and one
/// marked insecure.
@Suite struct URLPolicyTests {
    let policy = URLPolicy(insecureRegistries: ["insecure.example:5000"])

    @Test(arguments: [
        ("registry.example", "https://registry.example/v2/a/manifests/1"),
        ("registry.example", "HTTPS://auth.example/token?scope=x"),
        ("registry.example", "https://storage.example/bucket/blob?sig=1"),
        ("127.0.0.1:5000", "http://127.0.0.1:5000/v2/"),
        ("127.0.0.1:5000", "http://localhost:5001/token"),
        ("localhost:5000", "http://[::1]:5001/token"),
        ("127.0.0.1:5000", "https://auth.example/token"),
        ("insecure.example:5000", "http://insecure.example:5000/v2/"),
        ("insecure.example:5000", "http://auth.insecure.example/token"),
        ("registry.example", "http://insecure.example:5000/blob"),
    ])
    func allowed(registry: String, url: String) throws {
        try policy.check(url, for: registry)
    }

    @Test(arguments: [
        ("127.0.0.1:5000", "http+unix://%2Fvar%2Frun%2Fdocker.sock/containers/x/kill", "only http and https are followed"),
        ("127.0.0.1:5000", "HTTP+UNIX://%2Fvar%2Frun%2Fdocker.sock/", "only http and https are followed"),
        ("registry.example", "https+unix://%2Ftmp%2Fs/token", "only http and https are followed"),
        ("registry.example", "unix:///var/run/docker.sock", "only http and https are followed"),
        ("registry.example", "file:///etc/passwd", "only http and https are followed"),
        ("registry.example", "ftp://registry.example/x", "only http and https are followed"),
        ("registry.example", "http://auth.example/token", "plain HTTP to a host that is not loopback"),
        ("registry.example", "HTTP://auth.example/token", "plain HTTP to a host that is not loopback"),
        ("registry.example", "http://127.example.com/token", "plain HTTP to a host that is not loopback"),
        ("127.0.0.1:5000", "http://auth.example/token", "plain HTTP to a host that is not loopback"),
        ("registry.example", "https://127.0.0.1:2376/containers/json", "may not send requests to this machine"),
        ("registry.example", "http://localhost:2375/containers/json", "may not send requests to this machine"),
        ("registry.example", "https://user:secret@storage.example/blob", "it carries credentials"),
        ("registry.example", "https:///no-host", "it names no host"),
        ("registry.example", "not a url", "it is not a URL"),
    ])
    func refused(registry: String, url: String, reason: String) {
        #expect {
            try policy.check(url, for: registry)
        } throws: { error in
            String(describing: error).contains(reason)
        }
    }

    @Test(arguments: ["localhost", "LOCALHOST:5000", "127.0.0.1", "127.255.0.9:80", "[::1]", "[::1]:5000"])
    func loopback(host: String) { #expect(isLoopback(host)) }

    @Test(arguments: [
        "127.example.com", "127.0.0.1.example.com", "127.0.0", "127.0.0.256", "1127.0.0.1", "128.0.0.1", "[fe80::1]",
        "localhost.example", "[::1", "",
    ])
    func notLoopback(host: String) { #expect(!isLoopback(host)) }
}
