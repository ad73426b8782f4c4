/// A check that JSON text holds no object with the same key twice.
///
/// Parsers disagree on such a document (Foundation keeps the first value, jq, Python and Go the
/// last), so a reviewer and this tool could read different files: `images.json`, the lock,
/// manifests and configs with a duplicate key are refused. The scan is iterative (no recursion
/// to exhaust) and stops at the first problem; syntax errors are left to the decoder that runs
/// afterwards.
public enum StrictJSON {
    /// Objects and arrays nested deeper than this are refused (Foundation's own limit is 512).
    public static let maximumDepth = 512

    /// - Throws: ``StrictJSONError`` naming the key path of the first duplicate key.
    public static func checkNoDuplicateKeys(_ bytes: some Collection<UInt8>) throws(StrictJSONError) {
        try checkNoDuplicateKeys(Array(bytes))
    }

    /// One open object or array: the keys seen so far, and where it is.
    private struct Level {
        var isObject: Bool
        var keys: Set<String> = []
        var path: String
        var nextIndex = 0
        var pendingKey: String?

        init(isObject: Bool, path: String) {
            self.isObject = isObject
            self.path = path
        }
    }

    private static func checkNoDuplicateKeys(_ bytes: [UInt8]) throws(StrictJSONError) {
        var stack: [Level] = []
        var position = 0
        /// Where the value that starts now sits.
        func childPath(_ stack: inout [Level]) -> String {
            guard var top = stack.popLast() else { return "" }
            defer { stack.append(top) }
            if top.isObject { return keyPath(top.path, key: top.pendingKey ?? "") }
            top.nextIndex += 1
            return top.path + "[\(top.nextIndex - 1)]"
        }
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard stack.count < maximumDepth else {
                    throw StrictJSONError(keyPath: childPath(&stack), reason: "nested more than \(maximumDepth) levels deep")
                }
                let path = childPath(&stack)
                stack.append(Level(isObject: byte == UInt8(ascii: "{"), path: path))
                position += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
                position += 1
            case UInt8(ascii: "\""):
                let (text, end) = string(bytes, from: position)
                position = end
                // A string followed by ':' inside an object is a key.
                var next = position
                while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                if let top = stack.last, top.isObject, next < bytes.count, bytes[next] == UInt8(ascii: ":") {
                    guard !top.keys.contains(text) else {
                        throw StrictJSONError(
                            keyPath: keyPath(top.path, key: text), reason: "the key '\(text)' appears twice in one object")
                    }
                    stack[stack.count - 1].keys.insert(text)
                    stack[stack.count - 1].pendingKey = text
                    position = next + 1
                } else if let top = stack.last, !top.isObject {
                    stack[stack.count - 1].nextIndex += 1
                }
            default:
                // Numbers, literals, commas and whitespace: only array positions need counting.
                if let top = stack.last, !top.isObject, byte != UInt8(ascii: ","), ![0x20, 0x09, 0x0A, 0x0D].contains(byte) {
                    stack[stack.count - 1].nextIndex += 1
                    while position < bytes.count, !Self.endsScalar(bytes[position]) { position += 1 }
                    continue
                }
                position += 1
            }
        }
    }

    private static func endsScalar(_ byte: UInt8) -> Bool {
        [UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D].contains(byte)
    }

    /// The decoded text of the string starting at `start` (its opening quote), and the position after its closing quote.
    private static func string(_ bytes: [UInt8], from start: Int) -> (String, Int) {
        var position = start + 1
        var raw: [UInt8] = []
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if escaped {
                escaped = false
                raw.append(byte)
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
                raw.append(byte)
            } else if byte == UInt8(ascii: "\"") {
                break
            } else {
                raw.append(byte)
            }
        }
        return (unescape(raw), position)
    }

    /// JSON escapes resolved, so that `"a"` and `"\u0061"` count as the same key, as parsers read them.
    private static func unescape(_ raw: [UInt8]) -> String {
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        var units: [UInt16] = []
        var index = 0
        let utf16Of = { (bytes: ArraySlice<UInt8>) in Array(String(decoding: bytes, as: UTF8.self).utf16) }
        var plainStart = 0
        while index < raw.count {
            guard raw[index] == UInt8(ascii: "\\"), index + 1 < raw.count else {
                index += 1
                continue
            }
            units += utf16Of(raw[plainStart..<index])
            let kind = raw[index + 1]
            switch kind {
            case UInt8(ascii: "u") where index + 6 <= raw.count:
                let hex = String(decoding: raw[(index + 2)..<(index + 6)], as: UTF8.self)
                units.append(UInt16(hex, radix: 16) ?? 0xFFFD)
                index += 6
            case UInt8(ascii: "n"): units.append(0x0A); index += 2
            case UInt8(ascii: "t"): units.append(0x09); index += 2
            case UInt8(ascii: "r"): units.append(0x0D); index += 2
            case UInt8(ascii: "b"): units.append(0x08); index += 2
            case UInt8(ascii: "f"): units.append(0x0C); index += 2
            default: units.append(UInt16(kind)); index += 2
            }
            plainStart = index
        }
        units += utf16Of(raw[min(plainStart, raw.count)...])
        return String(decoding: units, as: UTF16.self)
    }

    /// `images[1].ref`, `registries["localhost:5000"]`: the key path people find in their file.
    public static func keyPath(_ parent: String, key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" }
        if plain { return parent.isEmpty ? key : parent + "." + key }
        return parent + "[\"" + key.escapingControlCharacters() + "\"]"
    }
}

/// JSON that parses, but that parsers read differently.
public struct StrictJSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where: `images[1].ref`, or `(top level)`.
    public let keyPath: String
    public let reason: String

    public init(keyPath: String, reason: String) {
        self.keyPath = keyPath.isEmpty ? "(top level)" : keyPath
        self.reason = reason
    }

    public var description: String { "\(keyPath): \(reason)" }
}
