import Foundation
import OCIModel
import Testing

@Suite struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux/amd64"),
        ("linux/arm64/v8", "linux/arm64/v8"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/x86_64", "linux/amd64"),
        ("Linux/AMD64", "linux/amd64"),
        ("linux/arm/v7", "linux/arm/v7"),
        ("windows/amd64", "windows/amd64"),
    ])
    func parses(_ text: String, _ expected: String) throws {
        #expect(try Platform(parsing: text).description == expected)
    }

    @Test(arguments: [
        ("linux", "expected OS/ARCHITECTURE"),
        ("linux/", "expected OS/ARCHITECTURE"),
        ("linux/amd64/v1/x", "expected OS/ARCHITECTURE"),
        ("lnux/amd64", "unknown operating system 'lnux'"),
        ("linux/amd46", "unknown architecture 'amd46'"),
        ("", "expected OS/ARCHITECTURE"),
    ])
    func rejectsUnknownPlatforms(_ text: String, _ fragment: String) {
        #expect {
            try Platform(parsing: text)
        } throws: { error in
            String(describing: error).contains(fragment)
        }
    }

    @Test func arm64MatchesWithOrWithoutV8() throws {
        let wanted = try Platform(parsing: "linux/arm64")
        #expect(wanted.matches(Platform(os: "linux", architecture: "arm64", variant: "v8")))
        #expect(wanted.matches(Platform(os: "linux", architecture: "arm64")))
        #expect(try Platform(parsing: "linux/arm64/v8").matches(Platform(os: "linux", architecture: "arm64")))
        #expect(!wanted.matches(Platform(os: "linux", architecture: "arm64", variant: "v9")))
    }

    @Test func armDefaultsToV7() throws {
        #expect(try Platform(parsing: "linux/arm").matches(Platform(os: "linux", architecture: "arm", variant: "v7")))
        #expect(try !Platform(parsing: "linux/arm").matches(Platform(os: "linux", architecture: "arm", variant: "v6")))
    }

    @Test func amd64DoesNotMatchArm64OrWindows() throws {
        let amd64 = try Platform(parsing: "linux/amd64")
        #expect(!amd64.matches(Platform(os: "linux", architecture: "arm64")))
        #expect(!amd64.matches(Platform(os: "windows", architecture: "amd64")))
    }

    @Test func indexSkipsAttestationsAndPicksThePlatform() throws {
        let json = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(String(repeating: "1", count: 64))","size":1,
               "platform":{"os":"unknown","architecture":"unknown"}},
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(String(repeating: "2", count: 64))","size":2,
               "platform":{"os":"linux","architecture":"amd64"}},
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(String(repeating: "3", count: 64))","size":3,
               "platform":{"os":"linux","architecture":"arm64","variant":"v8"}}
            ]}
            """
        guard case .index(let index) = try ManifestDocument.decode(Array(json.utf8), contentType: nil) else {
            Issue.record("expected an index")
            return
        }
        #expect(index.platforms.map(\.description) == ["linux/amd64", "linux/arm64/v8"])
        #expect(index.manifest(for: try Platform(parsing: "linux/arm64"))?.size == 3)
        #expect(index.manifest(for: try Platform(parsing: "linux/amd64"))?.size == 2)
        #expect(index.manifest(for: try Platform(parsing: "linux/s390x")) == nil)
    }

    @Test func schema1ManifestsAreRefused() {
        #expect {
            try ManifestDocument.decode(Array(#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#.utf8), contentType: nil)
        } throws: { error in
            String(describing: error).contains("schema 1")
        }
    }
}
