import Foundation
import OCIModel
import Testing

@testable import ImagesKit

@Suite struct ImagesManifestTests {
    let host = Platform(os: "linux", architecture: "amd64")

    func decode(_ json: String) throws -> ImagesManifest {
        try ImagesManifest.decode(Data(json.utf8), path: "images.json", hostPlatform: host)
    }

    func expectError(_ json: String, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) {
            try decode(json)
        } throws: { error in
            let text = String(describing: error)
            let ok = text.hasPrefix("images.json: ") && fragments.allSatisfy { text.contains($0) }
            if !ok { Issue.record("error was: \(text)", sourceLocation: sourceLocation) }
            return ok
        }
    }

    @Test func readsTheExampleFromTheREADME() throws {
        let manifest = try decode(
            """
            {
              "version": 1,
              "platforms": ["linux/amd64"],
              "images": [
                "swift:6.0-jammy",
                { "ref": "postgres:16", "platforms": ["linux/amd64", "linux/arm64"] },
                { "ref": "ghcr.io/acme/base@sha256:\(String(repeating: "e", count: 64))" }
              ],
              "registries": { "localhost:5000": { "insecure": true } }
            }
            """)
        #expect(
            manifest.images.map(\.reference.description) == [
                "docker.io/library/swift:6.0-jammy",
                "docker.io/library/postgres:16",
                "ghcr.io/acme/base@sha256:" + String(repeating: "e", count: 64),
            ])
        #expect(manifest.images[0].platforms.map(\.description) == ["linux/amd64"])
        #expect(manifest.images[1].platforms.map(\.description) == ["linux/amd64", "linux/arm64"])
        #expect(manifest.registries["localhost:5000"]?.insecure == true)
    }

    @Test func hostPlatformIsTheDefaultOfTheDefault() throws {
        let manifest = try decode(#"{"version":1,"images":["alpine"]}"#)
        #expect(manifest.images[0].platforms == [host])
    }

    @Test func unknownTopLevelKeyIsNamed() {
        expectError(
            #"{"version":1,"images":[],"platform":["linux/amd64"]}"#, "platform:", "unknown key 'platform'", "'platforms'")
    }

    @Test func unknownKeyInAnImageIsNamedWithItsPath() {
        expectError(#"{"version":1,"images":["a",{"ref":"b","platfroms":[]}]}"#, "images[1].platfroms", "unknown key")
    }

    @Test func unknownKeyInARegistryIsNamedWithItsPath() {
        expectError(
            #"{"version":1,"images":[],"registries":{"localhost:5000":{"insecur":true}}}"#,
            #"registries["localhost:5000"].insecur"#)
    }

    @Test func mirrorsAreRegistryHostsWithAnOptionalPath() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("images-\(UUID().uuidString).json").path
        try Data(
            #"{"version":1,"images":[],"registries":{"docker.io":{"mirrors":["registry.internal:5000/hub","localhost:5001"]}}}"#
                .utf8
        ).write(to: URL(fileURLWithPath: path))
        let mirrors = try #require(try ImagesManifest.load(path: path).registries["docker.io"]?.mirrors)
        #expect(mirrors.map(\.description) == ["registry.internal:5000/hub", "localhost:5001"])
        let postgres = try Reference(parsing: "postgres:16")
        #expect(mirrors[0].reference(for: postgres).description == "registry.internal:5000/hub/library/postgres:16")
        #expect(mirrors[1].reference(for: postgres).description == "localhost:5001/library/postgres:16")
        expectError(
            #"{"version":1,"images":[],"registries":{"docker.io":{"mirrors":["hub"]}}}"#, #"registries["docker.io"].mirrors"#,
            "it must start with a registry host")
    }

    @Test func malformedJSONSaysWhere() {
        expectError("{\"version\": 1,\n \"images\": [\"a\" \"b\"]\n}", "malformed JSON at line 2, column 17")
        expectError("{\"version\": 1,", "malformed JSON")
        expectError("", "malformed JSON")
        // What jq, Python and Renovate refuse, the tool refuses too.
        expectError("{\"version\": 1,\n \"images\": [\"a\",]\n}", "malformed JSON at line 2, column 17: a trailing comma before ']'")
        expectError("{\"version\": 1, // pinned\n \"images\": []}", "malformed JSON at line 1, column 16: comments are not JSON")
        expectError("{\"version\": 1, \"images\": [], \"version\": 2}", "version: the key 'version' appears twice in one object (again at line 1, column 30)")
    }

    @Test func wrongTypesAreNamed() {
        expectError(#"{"version":"1","images":[]}"#, "version", "expected an integer")
        expectError(#"{"version":1,"images":"alpine"}"#, "images", "expected an array")
        expectError(#"{"version":1,"images":[42]}"#, "images[0]", "reference string or an object")
        expectError(
            #"{"version":1,"images":[],"registries":{"r":{"insecure":"yes"}}}"#, #"registries.r.insecure"#, "true or false")
    }

    @Test func missingKeysAreNamed() {
        expectError(#"{"images":[]}"#, "version", "missing")
        expectError(#"{"version":1}"#, "images", "missing")
        expectError(#"{"version":1,"images":[{"platforms":["linux/amd64"]}]}"#, "images[0].ref", "missing")
    }

    @Test func unsupportedVersionIsAnError() {
        expectError(#"{"version":2,"images":[]}"#, "version", "unsupported version 2")
    }

    @Test func invalidReferencesSayWhichAndWhy() {
        expectError(#"{"version":1,"images":["ok", "Bad/Name:x"]}"#, "images[1]", "must be lowercase")
        expectError(#"{"version":1,"images":[{"ref":"a:b:c"}]}"#, "images[0].ref", "invalid image reference 'a:b:c'")
    }

    @Test func unknownPlatformsAreNamed() {
        expectError(#"{"version":1,"platforms":["linux/amd46"],"images":[]}"#, "platforms[0]", "unknown architecture 'amd46'")
        expectError(
            #"{"version":1,"images":[{"ref":"a","platforms":["linux/amd64","beos/x86"]}]}"#, "images[0].platforms[1]",
            "unknown operating system")
        expectError(#"{"version":1,"platforms":[],"images":[]}"#, "platforms", "empty")
    }

    @Test func theSameImageTwiceIsAnError() {
        expectError(
            #"{"version":1,"images":["alpine","docker.io/library/alpine:latest"]}"#, "images[1]", "same image as images[0]")
    }

    @Test func lockPathIsNextToTheManifest() throws {
        let manifest = try ImagesManifest.decode(Data(#"{"version":1,"images":[]}"#.utf8), path: "/work/proj/images.json")
        #expect(manifest.lockPath == "/work/proj/images.lock.json")
    }
}
