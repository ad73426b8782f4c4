import OCIModel
import Testing

@testable import ImagesKit

@Suite struct ReferenceSuggestionsTests {
    static let declared = [
        "127.0.0.1:5000/test/app:1", "registry.example.com/team/test/app:1", "ghcr.io/org/app:latest",
        "postgres:16", "docker.io/library/redis@sha256:" + String(repeating: "a", count: 64),
    ]

    @Test(arguments: [
        ("test/app:1", ["127.0.0.1:5000/test/app:1", "registry.example.com/team/test/app:1"]),
        ("app:1", ["127.0.0.1:5000/test/app:1", "registry.example.com/team/test/app:1"]),
        // No tag means latest.
        ("app", ["ghcr.io/org/app:latest"]),
        ("org/app", ["ghcr.io/org/app:latest"]),
        ("test/app", []),
        // Whole components only, and never the text itself.
        ("pp:1", []),
        ("postgres:16", []),
        ("redis@sha256:" + String(repeating: "a", count: 64), ["docker.io/library/redis@sha256:" + String(repeating: "a", count: 64)]),
    ])
    func whatANameWithoutItsRegistryMayHaveMeant(text: String, expected: [String]) {
        #expect(Reference.likelyMeant(by: text, among: Self.declared) == expected)
    }

    @Test func theSuggestionReadsAsAQuestion() {
        #expect(Reference.didYouMean([]) == "")
        #expect(Reference.didYouMean(["a:1", "b:1"]) == "; did you mean 'a:1' or 'b:1'?")
    }
}
