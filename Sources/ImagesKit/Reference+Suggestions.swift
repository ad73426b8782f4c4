import OCIModel

extension Reference {
    /// Of `candidates` (references as text), those that `text` may have meant: ones that end with
    /// it after a `/`, as `127.0.0.1:5000/test/app:1` ends with `test/app:1` — the name written
    /// without its registry, which then means Docker Hub. Without a tag or digest, `:latest` is
    /// implied, as in the reference itself.
    public static func likelyMeant(by text: String, among candidates: [String]) -> [String] {
        let lastComponent = text.split(separator: "/").last ?? ""
        let endings = ["/" + text] + (lastComponent.contains(":") || text.contains("@") ? [] : ["/" + text + ":latest"])
        let meant = candidates.filter { candidate in candidate != text && endings.contains { candidate.hasSuffix($0) } }
        return Array(Set(meant)).sorted()
    }

    /// `; did you mean 'a' or 'b'?`, or nothing when there is nothing to suggest.
    static func didYouMean(_ suggestions: [String]) -> String {
        guard !suggestions.isEmpty else { return "" }
        return "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?"
    }
}
