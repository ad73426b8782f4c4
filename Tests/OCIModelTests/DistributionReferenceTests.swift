import OCIModel
import Testing

/// The test tables of distribution/reference (https://github.com/distribution/reference, commit
/// 0965666a6ade2e06035fe352e38344be1e68951a, files `normalize_test.go` and `reference_test.go`),
/// ported as data: Docker parses references with that package, so we accept, refuse and
/// normalise exactly as it does.
///
/// Where our API differs, the port says so:
/// - `Reference(parsing:)` is their `ParseNormalizedNamed` (Docker Hub defaults applied); their
///   un-normalised `Parse` has no counterpart, so `TestReferenceParse` is ported for its verdicts
///   (accepted or refused), with the normalised name where it is accepted.
/// - With a tag and a digest, we keep both (the digest is what is fetched, the tag the name
///   Docker gives the image); their `ParseDockerRef` drops the tag.
/// - A reference without tag or digest gets the tag `latest`, as `TagNameOnly` does.
/// - Not ported: `TestMatch`/`TestMatchError` (wildcard matching; ours lives in `PruneSettings`),
///   `TestParseAnyReference` (bare image IDs, which we do not take), `TestSerialization`,
///   `TestWithTag`/`TestWithDigest` (their constructors), `TestIdentifierRegexp` (image IDs).
/// - `regexp_test.go` tests regexps we do not expose: its `TestDomainRegexp`, `TestFullNameRegexp`
///   and `TestReferenceRegexp` verdicts are checked through the parser (a domain as
///   `DOMAIN/repo`), less two cases: `foo_bar.com:8080` (not a name, but as a reference `:8080`
///   is its tag, which `TestReferenceParse` accepts) and a 257-character path (the regexp matches,
///   the length check after it refuses).
@Suite struct DistributionReferenceTests {
    // MARK: normalize_test.go, TestValidateReferenceName

    @Test(arguments: [
        "docker/docker", "library/debian", "debian", "localhost/library/debian", "localhost/debian",
        "LOCALDOMAIN/library/debian", "LOCALDOMAIN/debian", "docker.io/docker/docker", "docker.io/library/debian",
        "docker.io/debian", "index.docker.io/docker/docker", "index.docker.io/library/debian", "index.docker.io/debian",
        "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/library/debian", "127.0.0.1:5000/debian", "192.168.0.1",
        "192.168.0.1:80", "192.168.0.1:8/debian", "192.168.0.2:25000/debian",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "[fc00::1]:5000/docker",
        "[fc00::1]:5000/docker/docker", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "Docker/docker", "DOCKER/docker",
    ])
    func validReferenceName(_ name: String) throws {
        _ = try Reference(parsing: name)
    }

    @Test(arguments: [
        "https://github.com/docker/docker", "docker/Docker", "-docker", "-docker/docker", "-docker.io/docker/docker",
        "docker///docker", "docker.io/docker/Docker", "docker.io/docker///docker", "[fc00::1]", "[fc00::1]:5000",
        "fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian", "[2001:db8:3:4::192.0.2.33]:5000/debian",
        "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    ])
    func invalidReferenceName(_ name: String) {
        #expect(throws: ReferenceError.self) { try Reference(parsing: name) }
    }

    // MARK: normalize_test.go, TestValidateRemoteName

    @Test(arguments: [
        "docker/docker", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker-rules/docker",
        "docker---rules/docker", "doc/docker", "d/docker", "jess/t", "dock__er/docker",
    ])
    func validRemoteName(_ name: String) throws {
        _ = try Reference(parsing: name)
    }

    @Test(arguments: [
        "docker/Docker", "docker///docker", "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "-docker/docker", "docker-/docker", "-docker-/docker", "____/____", "_docker/_docker", "dock..er/docker",
        "dock_.er/docker", "dock-.er/docker", "docker/",
        "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
    ])
    func invalidRemoteName(_ name: String) {
        #expect(throws: ReferenceError.self) { try Reference(parsing: name) }
    }

    // MARK: normalize_test.go, TestParseRepositoryInfo

    struct RepositoryInfo: Sendable, CustomTestStringConvertible {
        var remoteName, familiarName, fullName, ambiguousName, domain: String
        var testDescription: String { fullName }
    }

    static let repositoryInfoTable = [
        RepositoryInfo(
            remoteName: "fooo", familiarName: "localhost/fooo", fullName: "localhost/fooo", ambiguousName: "localhost/fooo",
            domain: "localhost"),
        RepositoryInfo(
            remoteName: "fooo/bar", familiarName: "localhost/fooo/bar", fullName: "localhost/fooo/bar",
            ambiguousName: "localhost/fooo/bar", domain: "localhost"),
        RepositoryInfo(
            remoteName: "fooo", familiarName: "LOCALDOMAIN/fooo", fullName: "LOCALDOMAIN/fooo",
            ambiguousName: "LOCALDOMAIN/fooo", domain: "LOCALDOMAIN"),
        RepositoryInfo(
            remoteName: "fooo/bar", familiarName: "LOCALDOMAIN/fooo/bar", fullName: "LOCALDOMAIN/fooo/bar",
            ambiguousName: "LOCALDOMAIN/fooo/bar", domain: "LOCALDOMAIN"),
        RepositoryInfo(
            remoteName: "fooo/bar", familiarName: "fooo/bar", fullName: "docker.io/fooo/bar",
            ambiguousName: "index.docker.io/fooo/bar", domain: "docker.io"),
        RepositoryInfo(
            remoteName: "library/ubuntu", familiarName: "ubuntu", fullName: "docker.io/library/ubuntu",
            ambiguousName: "library/ubuntu", domain: "docker.io"),
        RepositoryInfo(
            remoteName: "nonlibrary/ubuntu", familiarName: "nonlibrary/ubuntu", fullName: "docker.io/nonlibrary/ubuntu",
            ambiguousName: "", domain: "docker.io"),
        RepositoryInfo(
            remoteName: "other/library", familiarName: "other/library", fullName: "docker.io/other/library",
            ambiguousName: "", domain: "docker.io"),
        RepositoryInfo(
            remoteName: "private/moonbase", familiarName: "127.0.0.1:8000/private/moonbase",
            fullName: "127.0.0.1:8000/private/moonbase", ambiguousName: "", domain: "127.0.0.1:8000"),
        RepositoryInfo(
            remoteName: "privatebase", familiarName: "127.0.0.1:8000/privatebase", fullName: "127.0.0.1:8000/privatebase",
            ambiguousName: "", domain: "127.0.0.1:8000"),
        RepositoryInfo(
            remoteName: "private/moonbase", familiarName: "example.com/private/moonbase",
            fullName: "example.com/private/moonbase", ambiguousName: "", domain: "example.com"),
        RepositoryInfo(
            remoteName: "privatebase", familiarName: "example.com/privatebase", fullName: "example.com/privatebase",
            ambiguousName: "", domain: "example.com"),
        RepositoryInfo(
            remoteName: "private/moonbase", familiarName: "example.com:8000/private/moonbase",
            fullName: "example.com:8000/private/moonbase", ambiguousName: "", domain: "example.com:8000"),
        RepositoryInfo(
            remoteName: "privatebasee", familiarName: "example.com:8000/privatebasee",
            fullName: "example.com:8000/privatebasee", ambiguousName: "", domain: "example.com:8000"),
        RepositoryInfo(
            remoteName: "library/ubuntu-12.04-base", familiarName: "ubuntu-12.04-base",
            fullName: "docker.io/library/ubuntu-12.04-base", ambiguousName: "index.docker.io/library/ubuntu-12.04-base",
            domain: "docker.io"),
        RepositoryInfo(
            remoteName: "library/foo", familiarName: "foo", fullName: "docker.io/library/foo", ambiguousName: "docker.io/foo",
            domain: "docker.io"),
        RepositoryInfo(
            remoteName: "library/foo/bar", familiarName: "library/foo/bar", fullName: "docker.io/library/foo/bar",
            ambiguousName: "", domain: "docker.io"),
        RepositoryInfo(
            remoteName: "store/foo/bar", familiarName: "store/foo/bar", fullName: "docker.io/store/foo/bar",
            ambiguousName: "", domain: "docker.io"),
        RepositoryInfo(remoteName: "bar", familiarName: "Foo/bar", fullName: "Foo/bar", ambiguousName: "", domain: "Foo"),
        RepositoryInfo(remoteName: "bar", familiarName: "FOO/bar", fullName: "FOO/bar", ambiguousName: "", domain: "FOO"),
    ]

    @Test(arguments: repositoryInfoTable)
    func repositoryInfo(_ info: RepositoryInfo) throws {
        for written in [info.familiarName, info.fullName, info.ambiguousName] where !written.isEmpty {
            let reference = try Reference(parsing: written)
            #expect(reference.familiarName == info.familiarName, "\(written)")
            #expect(reference.name == info.fullName, "\(written)")
            #expect(reference.registry == info.domain, "\(written)")
            #expect(reference.repository == info.remoteName, "\(written)")
        }
    }

    // MARK: normalize_test.go, TestParseReferenceWithTagAndDigest and TestInvalidReferenceComponents

    @Test func aTagAndADigestTogether() throws {
        let short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
        let reference = try Reference(parsing: short)
        #expect(reference.description == "docker.io/library/" + short)
        #expect(reference.tag == "latest")
        #expect(reference.digest?.encoded == "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa")
        #expect(reference.familiarName + ":" + reference.tag! + "@" + reference.digest!.description == short)
    }

    @Test func invalidComponents() {
        #expect(throws: ReferenceError.self) { try Reference(parsing: "-foo") }
        #expect(throws: ReferenceError.self) { try Reference(parsing: "busybox:-foo") }
        #expect(throws: ReferenceError.self) { try Reference(parsing: "busybox@foo") }
    }

    // MARK: normalize_test.go, TestNormalizedSplitHostname

    @Test(arguments: [
        ("test.com/foo", "test.com", "foo"), ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"), ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"), ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"), ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"), ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
    ])
    func normalizedSplitHostname(input: String, domain: String, path: String) throws {
        let reference = try Reference(parsing: input)
        #expect(reference.registry == domain)
        #expect(reference.repository == path)
    }

    // MARK: normalize_test.go, TestParseDockerRef (with both, we keep the tag: see above)

    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:latest", "docker.io/library/busybox:latest"),
        (
            "busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
            "docker.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"
        ),
        ("library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox:latest", "docker.io/library/busybox:latest"),
        ("library/busybox:latest", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox:latest"),
        ("gcr.io/library/busybox", "gcr.io/library/busybox:latest"),
        (
            "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
            "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"
        ),
    ])
    func parseDockerRef(input: String, expected: String) throws {
        let reference = try Reference(parsing: input)
        #expect(reference.description == expected)
        // What is fetched is the digest when there is one, as with ParseDockerRef.
        if let digest = reference.digest { #expect(reference.identifier == digest.description) }
        #expect(try Reference(parsing: reference.description) == reference)
    }

    // MARK: reference_test.go, TestReferenceParse (verdicts; the normalised name where accepted)

    static let hex64 = String(repeating: "f", count: 64)

    @Test(arguments: [
        ("test_com", "docker.io/library/test_com:latest"),
        ("test.com:tag", "docker.io/library/test.com:tag"),
        ("test.com:5000", "docker.io/library/test.com:5000"),
        ("test.com/repo:tag", "test.com/repo:tag"),
        ("test:5000/repo", "test:5000/repo:latest"),
        ("test:5000/repo:tag", "test:5000/repo:tag"),
        ("test:5000/repo@sha256:\(hex64)", "test:5000/repo@sha256:\(hex64)"),
        ("test:5000/repo:tag@sha256:\(hex64)", "test:5000/repo:tag@sha256:\(hex64)"),
        ("lowercase:Uppercase", "docker.io/library/lowercase:Uppercase"),
        (
            String(repeating: "a/", count: 127) + "a:tag-puts-this-over-max",
            "docker.io/" + String(repeating: "a/", count: 127) + "a:tag-puts-this-over-max"
        ),
        ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux:latest"),
        ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag"),
        ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com"),
        ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com"),
        (
            "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + String(repeating: "f", count: 128),
            "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + String(repeating: "f", count: 128)
        ),
        ("foo_bar.com:8080", "docker.io/library/foo_bar.com:8080"),
        ("foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080"),
        ("192.168.1.1", "docker.io/library/192.168.1.1:latest"),
        ("192.168.1.1:tag", "docker.io/library/192.168.1.1:tag"),
        ("192.168.1.1:5000", "docker.io/library/192.168.1.1:5000"),
        ("192.168.1.1/repo", "192.168.1.1/repo:latest"),
        ("192.168.1.1:5000/repo", "192.168.1.1:5000/repo:latest"),
        ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050"),
        ("[2001:db8::1]/repo", "[2001:db8::1]/repo:latest"),
        ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag"),
        ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo:latest"),
        ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo:tag"),
        ("[2001:db8::1]:5000/repo@sha256:\(hex64)", "[2001:db8::1]:5000/repo@sha256:\(hex64)"),
        ("[2001:db8::1]:5000/repo:tag@sha256:\(hex64)", "[2001:db8::1]:5000/repo:tag@sha256:\(hex64)"),
        ("[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo:latest"),
        ("[::1]:5000/repo", "[::1]:5000/repo:latest"),
    ])
    func referenceParseAccepts(input: String, normalized: String) throws {
        #expect(try Reference(parsing: input).description == normalized)
    }

    @Test(arguments: [
        "", ":justtag", "@sha256:\(hex64)", "repo@sha256:ffffffffffffffffffffffffffffffffff",
        "validname@invaliddigest:\(hex64)", "Uppercase:tag", "test:5000/Uppercase/lowercase:tag",
        String(repeating: "a/", count: 128) + "a:tag", "aa/asdf$$^/aa", "[2001:db8::1]", "[2001:db8::1]:5000",
        "[2001:db8::1]:tag", "[fe80::1%eth0]:5000/repo", "[fe80::1%@invalidzone]:5000/repo",
    ])
    func referenceParseRefuses(input: String) {
        #expect(throws: ReferenceError.self) { try Reference(parsing: input) }
    }

    // MARK: regexp_test.go, through the parser

    static let domainRegexp: [(String, Bool)] = [
        ("test.com", true),
        ("test.com:10304", true),
        ("test.com:http", false),
        ("localhost", true),
        ("localhost:8080", true),
        ("a", true),
        ("a.b", true),
        ("ab.cd.com", true),
        ("a-b.com", true),
        ("-ab.com", false),
        ("ab-.com", false),
        ("ab.c-om", true),
        ("ab.-com", false),
        ("ab.com-", false),
        ("0101.com", true),
        ("001a.com", true),
        ("b.gbc.io:443", true),
        ("b.gbc.io", true),
        ("xn--n3h.com", true),
        ("Asdf.com", true),
        ("192.168.1.1:75050", true),
        ("192.168.1.1:750050", true),
        ("[fd00:1:2::3]:75050", true),
        ("[fd00:1:2::3]75050", false),
        ("[fd00:1:2::3]::75050", false),
        ("[fd00:1:2::3%eth0]:75050", false),
        ("[fd00123123123]:75050", true),
        ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true),
        ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true),
        ("fd00:1:2::3:75050", false),
    ]
    static let fullNameRegexp: [(String, Bool)] = [
        ("", false),
        ("short", true),
        ("simple/name", true),
        ("library/ubuntu", true),
        ("docker/stevvooe/app", true),
        ("aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb", true),
        ("aa/aa/bb/bb/bb", true),
        ("a/a/a/a", true),
        ("a/a/a/a/", false),
        ("a//a/a", false),
        ("a", true),
        ("a/aa", true),
        ("a/aa/a", true),
        ("foo.com", true),
        ("foo.com/", false),
        ("foo.com:8080/bar", true),
        ("foo.com:http/bar", false),
        ("foo.com/bar", true),
        ("foo.com/bar/baz", true),
        ("localhost:8080/bar", true),
        ("sub-dom1.foo.com/bar/baz/quux", true),
        ("blog.foo.com/bar/baz", true),
        ("a^a", false),
        ("aa/asdf$$^/aa", false),
        ("asdf$$^/aa", false),
        ("aa-a/a", true),
        ("a-/a/a/a", false),
        ("foo.com/a-/a/a", false),
        ("-foo/bar", false),
        ("foo/bar-", false),
        ("foo-/bar", false),
        ("foo/-bar", false),
        ("_foo/bar", false),
        ("foo_bar", true),
        ("foo_bar.com", true),
        ("foo_bar.com:8080/app", false),
        ("foo.com/foo_bar", true),
        ("____/____", false),
        ("_docker/_docker", false),
        ("docker_/docker_", false),
        ("b.gcr.io/test.example.com/my-app", true),
        ("xn--n3h.com/myimage", true),
        ("xn--7o8h.com/myimage", true),
        ("example.com/xn--7o8h.com/myimage", true),
        ("example.com/some_separator__underscore/myimage", true),
        ("example.com/__underscore/myimage", false),
        ("example.com/..dots/myimage", false),
        ("example.com/.dots/myimage", false),
        ("example.com/nodouble..dots/myimage", false),
        ("docker./docker", false),
        (".docker/docker", false),
        ("docker-/docker", false),
        ("-docker/docker", false),
        ("do..cker/docker", false),
        ("do__cker:8080/docker", false),
        ("do__cker/docker", true),
        ("registry.io/foo/project--id.module--name.ver---sion--name", true),
        ("Asdf.com/foo/bar", true),
        ("Foo/FarB", false),
    ]
    static let referenceRegexp: [(String, Bool)] = [
        ("localhost:8080@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", true),
        ("registry.com:8080/myapp:tag", true),
        ("registry.com:8080/myapp@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", true),
        ("registry.com:8080/myapp:tag2@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", true),
        ("registry.com:8080/myapp@sha256:badbadbadbad", false),
        ("registry.com:8080/myapp:invalid~tag", false),
        ("bad_hostname.com:8080/myapp:tag", false),
        ("localhost:8080/name@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", true),
        ("localhost:http/name@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", false),
        ("localhost@sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912", true),
        ("registry.com:8080/myapp@bad", false),
        ("registry.com:8080/myapp@2bad", false),
    ]


    @Test func regexpVerdicts() {
        for (domain, match) in Self.domainRegexp {
            #expect(((try? Reference(parsing: domain + "/repo")) != nil) == match, "domain \(domain)")
        }
        for (name, match) in Self.fullNameRegexp + Self.referenceRegexp {
            #expect(((try? Reference(parsing: name)) != nil) == match, "\(name)")
        }
    }

    // MARK: reference_test.go, TestWithNameFailure and TestDomainAndPath

    @Test(arguments: [
        "", ":justtag", "@sha256:\(hex64)", "validname@invaliddigest:\(hex64)", String(repeating: "a/", count: 128) + "a:tag",
        "aa/asdf$$^/aa",
    ])
    func withNameFailure(input: String) {
        #expect(throws: ReferenceError.self) { try Reference(parsing: input) }
    }

    @Test(arguments: [
        ("test.com/foo", "test.com", "foo"), ("test_com/foo", "docker.io", "test_com/foo"),
        ("test:8080/foo", "test:8080", "foo"), ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"), ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
    ])
    func domainAndPath(input: String, domain: String, path: String) throws {
        // Their un-normalised Domain of "test_com/foo" is "": normalised, that is Docker Hub.
        let reference = try Reference(parsing: input)
        #expect(reference.registry == domain)
        #expect(reference.repository == path)
    }
}
