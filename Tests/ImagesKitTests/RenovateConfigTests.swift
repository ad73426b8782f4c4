import Foundation
import OCIModel
import Testing

@testable import ImagesKit

/// docs/renovate.json's pattern finds exactly the `tag@digest` references that images.json
/// declares, split as Renovate's docker datasource needs them (the name, the tag, the digest).
/// ICU's regular expressions stand in for Renovate's RE2: the pattern uses only what both share.
@Suite struct RenovateConfigTests {
    static let configPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/renovate.json").path

    func pattern() throws -> NSRegularExpression {
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.configPath)))
        let managers = (config as? [String: Any])?["customManagers"] as? [[String: Any]]
        let matchStrings = try #require(managers?.first?["matchStrings"] as? [String])
        #expect(matchStrings.count == 1)
        return try NSRegularExpression(pattern: try #require(matchStrings.first))
    }

    @Test func findsEveryPinnedTagAndNothingElse() throws {
        let digest = { (c: Character) in "sha256:" + String(repeating: c, count: 64) }
        let pinned = [
            "postgres:16@\(digest("a"))",
            "docker.io/library/redis:7.2-alpine@\(digest("b"))",
            "127.0.0.1:5000/team/app:1.0_rc1@\(digest("c"))",
            "ghcr.io/acme/base:latest@\(digest("d"))",
        ]
        let text = """
            {
              "version": 1,
              "images": [
                "\(pinned[0])",
                { "ref": "\(pinned[1])", "platforms": ["linux/amd64", "linux/arm64"] },
                "\(pinned[2])",
                { "ref": "\(pinned[3])" },
                "swift:6.0-jammy",
                "ghcr.io/acme/tools@\(digest("e"))"
              ],
              "registries": { "127.0.0.1:5000": { "insecure": true } }
            }
            """
        let manifest = try ImagesManifest.decode(Data(text.utf8), path: "images.json")
        let regex = try pattern()
        let matches = regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            ["depName", "currentValue", "currentDigest"].map { name in
                String(text[Range(match.range(withName: name), in: text)!])
            }
        }
        #expect(matches.map { "\($0[0]):\($0[1])@\($0[2])" } == pinned)
        // What Renovate reads is what the tool reads: the same repository, tag and digest.
        for (match, written) in zip(matches, pinned) {
            let declared = try #require(manifest.images.first { $0.written == written })
            let parsed = try Reference(parsing: "\(match[0]):\(match[1])")
            #expect(parsed.repository == declared.reference.repository)
            #expect(parsed.registry == declared.reference.registry)
            #expect(parsed.tag == declared.reference.tag)
            #expect(declared.reference.digest?.description == match[2])
        }
    }
}
