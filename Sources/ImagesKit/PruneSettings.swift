import Foundation

/// `"prune": { "keep": ["acme/*", "redis:*"], "grace": "7d" }` in `images.json`.
public struct PruneSettings: Sendable, Hashable {
    /// The default grace period: a day.
    public static let defaultGrace: TimeInterval = 24 * 3600

    /// Patterns of image names never pruned (`*` and `?` as in shell globs), matched against
    /// the name Docker shows (`redis:7`, `acme/app:1`) and the canonical one
    /// (`docker.io/library/redis:7`).
    public var keep: [String]
    /// Images used (pulled, locked, loaded) this recently are kept.
    public var grace: TimeInterval

    public init(keep: [String] = [], grace: TimeInterval = PruneSettings.defaultGrace) {
        self.keep = keep
        self.grace = grace
    }

    /// `0`, `45s`, `90m`, `24h`, `7d`, `2w`, or several of those (`1h30m`); nil for anything else.
    public static func parseDuration(_ text: String) -> TimeInterval? {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "0" { return 0 }
        var total: TimeInterval = 0
        var number = ""
        for character in trimmed {
            if character.isASCII && character.isNumber {
                number.append(character)
            } else if let unit = units[character], let value = Double(number) {
                total += value * unit
                number = ""
            } else {
                return nil
            }
        }
        return number.isEmpty && !trimmed.isEmpty ? total : nil
    }
}

extension PruneSettings: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case keep, grace
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        keep = try container.decodeIfPresent([String].self, forKey: .keep) ?? []
        grace = Self.defaultGrace
        if let text = try container.decodeIfPresent(String.self, forKey: .grace) {
            guard let grace = Self.parseDuration(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .grace, in: container,
                    debugDescription: "'\(text)' is not a duration (write it like \"0\", \"90m\", \"24h\" or \"7d\")")
            }
            self.grace = grace
        }
    }
}
