import Foundation
import OCIModel

/// A coding key for any string, used to see every key an object holds.
struct AnyCodingKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// Throws for any key of the current object that `Keys` does not name, so that a typo in
    /// `images.json` is an error rather than a silently ignored setting.
    func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let expected = Keys.allCases.map { "'\($0.stringValue)'" }.joined(separator: ", ")
        throw DecodingError.dataCorrupted(
            .init(
                codingPath: codingPath + [AnyCodingKey(stringValue: first)],
                debugDescription: "unknown key '\(first)' (expected one of \(expected))"
            )
        )
    }
}

/// Formats a coding path as a key path people can find in their file:
/// `images[1].platforms[0]`, `registries["localhost:5000"].insecure`.
func keyPath(_ codingPath: [any CodingKey]) -> String {
    var text = ""
    for key in codingPath {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text = StrictJSON.keyPath(text, key: key.stringValue)
        }
    }
    return text.isEmpty ? "(top level)" : text
}

/// A people-readable explanation of a `DecodingError`, with the key path where it happened.
func explain(_ error: DecodingError) -> (keyPath: String, message: String) {
    switch error {
    case let .typeMismatch(type, context):
        // Our own decoders explain themselves; Foundation's messages name Swift types.
        let own = context.debugDescription.hasPrefix("expected ")
        return (keyPath(context.codingPath), own ? context.debugDescription : "expected \(typeName(type))")
    case let .valueNotFound(type, context):
        return (keyPath(context.codingPath), "expected \(typeName(type)), found null")
    case let .keyNotFound(key, context):
        return (keyPath(context.codingPath + [key]), "this required key is missing")
    case let .dataCorrupted(context):
        return (keyPath(context.codingPath), context.debugDescription)
    @unknown default:
        return ("(unknown)", String(describing: error))
    }
}

private func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Int.Type: "an integer"
    case is Bool.Type: "true or false"
    case is [Any].Type: "an array"
    default:
        String(describing: type).hasPrefix("Array") ? "an array" : "an object"
    }
}
