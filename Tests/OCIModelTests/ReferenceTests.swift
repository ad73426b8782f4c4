import OCIModel
import Testing

private let hex64 = String(repeating: "a", count: 64)
private let digest = "sha256:" + hex64

@Suite struct ReferenceTests {
    /// Valid references and their canonical form.
    static let valid: [(String, String)] = [
        ("alpine", "docker.io/library/alpine:latest"),
        ("alpine:3.20", "docker.io/library/alpine:3.20"),
        ("library/alpine", "docker.io/library/alpine:latest"),
        ("docker.io/alpine", "docker.io/library/alpine:latest"),
        ("docker.io/library/alpine:3", "docker.io/library/alpine:3"),
        ("index.docker.io/library/alpine", "docker.io/library/alpine:latest"),
        ("index.docker.io/alpine:edge", "docker.io/library/alpine:edge"),
        ("bitnami/postgresql:16", "docker.io/bitnami/postgresql:16"),
        ("swift:6.0-jammy", "docker.io/library/swift:6.0-jammy"),
        ("ghcr.io/acme/base", "ghcr.io/acme/base:latest"),
        ("ghcr.io/acme/tools/base:v1.2.3", "ghcr.io/acme/tools/base:v1.2.3"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/app:dev", "localhost:5000/app:dev"),
        ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app:latest"),
        ("[::1]:5000/app", "[::1]:5000/app:latest"),
        ("[fe80::1]/app:1", "[fe80::1]/app:1"),
        ("registry.example.com:443/a/b/c/d:tag", "registry.example.com:443/a/b/c/d:tag"),
        ("my-registry.io/my_app", "my-registry.io/my_app:latest"),
        ("example.com/a__b", "example.com/a__b:latest"),
        ("example.com/a---b", "example.com/a---b:latest"),
        ("example.com/a.b_c-d", "example.com/a.b_c-d:latest"),
        ("Example.com/app", "Example.com/app:latest"),
        ("EXAMPLE/app", "EXAMPLE/app:latest"),
        ("foo/bar:_tag", "docker.io/foo/bar:_tag"),
        ("foo/bar:TAG.with-Mixed_case", "docker.io/foo/bar:TAG.with-Mixed_case"),
        ("alpine@" + digest, "docker.io/library/alpine@" + digest),
        ("alpine:3.20@" + digest, "docker.io/library/alpine:3.20@" + digest),
        ("localhost:5000/app@" + digest, "localhost:5000/app@" + digest),
        ("localhost:5000/app:1@" + digest, "localhost:5000/app:1@" + digest),
        ("0123456789/app", "docker.io/0123456789/app:latest"),
        ("localhost:5000", "docker.io/library/localhost:5000"),
        ("a", "docker.io/library/a:latest"),
    ]

    @Test(arguments: valid)
    func parsesAndNormalises(_ input: String, _ canonical: String) throws {
        #expect(try Reference(parsing: input).description == canonical)
    }

    @Test(arguments: valid)
    func canonicalFormParsesToItself(_ input: String, _ canonical: String) throws {
        #expect(try Reference(parsing: canonical) == Reference(parsing: input))
    }

    /// Invalid references and a fragment the error must contain.
    static let invalid: [(String, String)] = [
        ("", "empty"),
        ("Alpine", "must be lowercase"),
        ("docker.io/Library/alpine", "must be lowercase"),
        ("alpine:", "the tag '' is empty"),
        ("alpine:-x", "must start with"),
        ("alpine:.x", "must start with"),
        ("alpine:" + String(repeating: "t", count: 129), "129 characters long"),
        ("alpine:tag!", "may hold only"),
        ("alpine@sha256:abc", "has 64 hex characters, this one has 3"),
        ("alpine@md5:" + hex64, "unsupported algorithm"),
        ("alpine@sha256:" + String(repeating: "A", count: 64), "lowercase"),
        ("alpine@", "expected ALGORITHM:HEX"),
        ("@" + digest, "repository name is missing"),
        (":tag", "repository name is missing"),
        ("/alpine", "empty component"),
        ("alpine/", "empty component"),
        ("foo//bar", "empty component"),
        ("-foo/bar", "must start and end"),
        ("foo/bar-", "must start and end"),
        ("foo/.bar", "must start and end"),
        ("foo/a..b", "'..'"),
        ("foo/a._b", "'._'"),
        ("foo/a___b", "'___'"),
        ("foo/a-.b", "'-.'"),
        ("foo bar", "character"),
        ("alpine\t", "character"),
        ("ünicode/app", "character"),
        ("-example.com/app", "may not start or end with '-'"),
        ("example..com/app", "empty label"),
        ("example.com:/app", "port '' is not a number"),
        ("example.com:port/app", "the port 'port' is not a number"),
        ("localhost:50a0/app", "port '50a0' is not a number"),
        ("[::1/app", "closing ']'"),
        ("[zz::1]/app", "is not an IPv6 address"),
        ("ex_ample.com/app", "may hold only letters, digits and '-'"),
        (hex64, "image ID"),
        ("example.com/" + String(repeating: "a", count: 256), "the repository path is 256 characters long, the maximum is 255"),
        ("a:b:c", "'a:b' has ':'"),
    ]

    @Test(arguments: invalid)
    func rejectsWithAReasonNamingThePart(_ input: String, _ fragment: String) {
        #expect {
            try Reference(parsing: input)
        } throws: { error in
            let description = String(describing: error)
            return description.contains(fragment) && description.contains("invalid image reference")
        }
    }

    @Test func tagAndDigestKeepBothAndFetchByDigest() throws {
        let reference = try Reference(parsing: "postgres:16@" + digest)
        #expect(reference.tag == "16")
        #expect(reference.digest?.description == digest)
        #expect(reference.identifier == digest)
    }

    @Test func dockerHubIsServedByRegistry1() throws {
        #expect(try Reference(parsing: "alpine").apiHost == "registry-1.docker.io")
        #expect(try Reference(parsing: "ghcr.io/a/b").apiHost == "ghcr.io")
    }

    @Test func digestOnlyReferenceHasNoTag() throws {
        let reference = try Reference(parsing: "ghcr.io/acme/base@" + digest)
        #expect(reference.tag == nil)
        #expect(reference.description == "ghcr.io/acme/base@" + digest)
    }

    @Test func aPathOfExactly255CharactersIsAcceptedWhateverTheHost() throws {
        // Only the path counts, as in distribution/reference since v0.6.0.
        let path = String(repeating: "a", count: 255)
        #expect(try Reference(parsing: "registry.example.com:5000/" + path).repository.count == 255)
        #expect(throws: ReferenceError.self) { try Reference(parsing: "example.com/" + path + "a") }
    }

    @Test func tagOfExactly128CharactersIsAccepted() throws {
        let tag = String(repeating: "t", count: 128)
        #expect(try Reference(parsing: "alpine:" + tag).tag == tag)
    }

    @Test(arguments: [
        ("postgres:16", "postgres:16"),
        ("docker.io/library/postgres:16", "postgres:16"),
        ("acme/app", "acme/app:latest"),
        ("ghcr.io/acme/base:1", "ghcr.io/acme/base:1"),
        ("localhost:5000/app:dev", "localhost:5000/app:dev"),
        ("postgres:16@" + digest, "postgres:16"),
    ])
    func dockerTagIsTheFamiliarForm(_ input: String, _ tag: String) throws {
        #expect(try Reference(parsing: input).dockerTag == tag)
    }

    @Test func aDigestOnlyReferenceHasNoDockerTag() throws {
        #expect(try Reference(parsing: "ghcr.io/acme/base@" + digest).dockerTag == nil)
    }
}
