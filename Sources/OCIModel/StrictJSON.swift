/// Strict JSON (RFC 8259), checked before a document is decoded: what jq, Python, Go and every
/// JSON editor reject is rejected here too, with the line and column, and so is what they read
/// differently.
///
/// - Syntax: no trailing commas, no comments, no single quotes, no bare words, numbers as the
///   RFC writes them, no raw control characters in strings, nothing after the value.
/// - No object with the same key twice: parsers disagree on such a document (Foundation keeps
///   the first value; jq, Python and Go the last), so a reviewer would read another file than
///   the tool. Keys are compared after their escapes are resolved (`"a"` and `"\u0061"`).
///
/// The scan is iterative (no recursion to exhaust) and stops at the first problem.
public enum StrictJSON {
    /// Objects and arrays nested deeper than this are refused (Foundation's own limit is 512).
    public static let maximumDepth = 512

    /// - Throws: ``StrictJSONError`` saying where the text stops being strict JSON, or which
    ///   key path holds a duplicate key.
    public static func check(_ bytes: some Collection<UInt8>) throws(StrictJSONError) {
        var scanner = Scanner(bytes: Array(bytes))
        try scanner.run()
    }

    /// `images[1].ref`, `registries["localhost:5000"]`: the key path people find in their file.
    public static func keyPath(_ parent: String, key: String) -> String {
        let plain =
            !key.isEmpty && key.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" }
        if plain { return parent.isEmpty ? key : parent + "." + key }
        return parent + "[\"" + key.escapingControlCharacters() + "\"]"
    }

    /// One open object or array: what it has seen, what may come next. Where it is, the stack
    /// tells, when an error needs it.
    private struct Level {
        var isObject: Bool
        var keys: Set<String> = []
        var count = 0
        var pendingKey = ""
        /// Just after the opening bracket: a member or the end may come (after a comma, only a member).
        var afterOpening = true
        /// In an object, just after a key: the colon must come.
        var awaitingColon = false
        /// In an object, after the colon: the value must come.
        var awaitingValue = false
        /// After a member: a comma or the end must come.
        var afterMember = false

        init(isObject: Bool) { self.isObject = isObject }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        var stack: [Level] = []
        var sawTopValue = false

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ reason: String, at offset: Int? = nil) -> StrictJSONError {
            var line = 1
            var column = 1
            for byte in bytes.prefix(offset ?? position) {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return StrictJSONError(keyPath: "", reason: reason, line: line, column: column)
        }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        var describedByte: String {
            guard position < bytes.count else { return "the end of the text" }
            let byte = bytes[position]
            return (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        }

        mutating func run() throws(StrictJSONError) {
            while true {
                skipWhitespace()
                guard position < bytes.count else {
                    if !stack.isEmpty { throw fail("the text ends inside \(stack.last!.isObject ? "an object" : "an array")") }
                    if !sawTopValue { throw fail("there is no JSON value") }
                    return
                }
                let byte = bytes[position]
                if byte == UInt8(ascii: "/") { throw fail("comments are not JSON") }
                guard var level = stack.last else {
                    guard !sawTopValue else { throw fail("unexpected \(describedByte) after the JSON value") }
                    try value()
                    continue
                }
                let closing = level.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if level.awaitingColon {
                    guard byte == UInt8(ascii: ":") else { throw fail("expected ':' after the key, found \(describedByte)") }
                    position += 1
                    stack[stack.count - 1].awaitingColon = false
                    stack[stack.count - 1].awaitingValue = true
                } else if level.awaitingValue {
                    stack[stack.count - 1].awaitingValue = false
                    try value()
                } else if level.afterMember {
                    if byte == UInt8(ascii: ",") {
                        position += 1
                        level.afterMember = false
                        stack[stack.count - 1] = level
                    } else if byte == closing {
                        try close()
                    } else {
                        throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))', found \(describedByte)")
                    }
                } else if byte == closing {
                    guard level.afterOpening else { throw fail("a trailing comma before '\(Character(Unicode.Scalar(closing)))'") }
                    try close()
                } else {
                    stack[stack.count - 1].afterOpening = false
                    if level.isObject {
                        guard byte == UInt8(ascii: "\"") else { throw fail("expected a key in double quotes, found \(describedByte)") }
                        let start = position
                        let key = try readKey()
                        guard !level.keys.contains(key) else {
                            var error = fail("", at: start)
                            error.keyPath = StrictJSON.keyPath(pathOfInnermostLevel, key: key)
                            error.reason =
                                "the key '\(key.escapingControlCharacters())' appears twice in one object"
                                + " (again at line \(error.line), column \(error.column))"
                            throw error
                        }
                        stack[stack.count - 1].keys.insert(key)
                        stack[stack.count - 1].pendingKey = key
                        stack[stack.count - 1].awaitingColon = true
                    } else {
                        try value()
                    }
                }
            }
        }

        /// A value starts at `position`: a scalar is read whole, a container opened.
        /// The key path of the innermost open object or array: each enclosing one's current key,
        /// or its count of members so far (the open one's index).
        var pathOfInnermostLevel: String {
            var text = ""
            for parent in stack.dropLast() {
                text = parent.isObject ? StrictJSON.keyPath(text, key: parent.pendingKey) : text + "[\(parent.count)]"
            }
            return text
        }

        mutating func value() throws(StrictJSONError) {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard stack.count < StrictJSON.maximumDepth else {
                    throw fail("nested more than \(StrictJSON.maximumDepth) levels deep")
                }
                position += 1
                stack.append(Level(isObject: byte == UInt8(ascii: "{")))
                return
            case UInt8(ascii: "\""):
                _ = try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try number()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "'"): throw fail("strings are in double quotes, not single ones")
            default: throw fail("expected a value, found \(describedByte)")
            }
            memberEnded()
        }

        mutating func memberEnded() {
            if stack.isEmpty {
                sawTopValue = true
            } else {
                stack[stack.count - 1].count += 1
                stack[stack.count - 1].afterMember = true
            }
        }

        mutating func close() throws(StrictJSONError) {
            position += 1
            stack.removeLast()
            memberEnded()
        }

        mutating func literal(_ word: String) throws(StrictJSONError) {
            let utf8 = Array(word.utf8)
            guard bytes.count - position >= utf8.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
                throw fail("expected a value, found \(describedByte)")
            }
            position += utf8.count
        }

        mutating func number() throws(StrictJSONError) {
            let start = position
            func digits() -> Int {
                let first = position
                while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                return position - first
            }
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integerStart = position
            let integerDigits = digits()
            guard integerDigits > 0 else { throw fail("a number needs digits", at: start) }
            if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { throw fail("a number may not start with 0", at: start) }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw fail("a number needs digits after its '.'", at: start) }
            }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                    position += 1
                }
                guard digits() > 0 else { throw fail("a number needs digits in its exponent", at: start) }
            }
        }

        /// Reads a key from its opening quote: its text, escapes resolved.
        mutating func readKey() throws(StrictJSONError) -> String {
            let start = position
            let escaped = try string()
            let content = bytes[(start + 1)..<(position - 1)]
            return escaped ? Self.resolvingEscapes(content) : String(decoding: content, as: UTF8.self)
        }

        /// Checks a string from its opening quote to just after its closing one; returns whether
        /// it holds escapes.
        mutating func string() throws(StrictJSONError) -> Bool {
            let start = position
            position += 1
            var escaped = false
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    position += 1
                    return escaped
                case UInt8(ascii: "\\"):
                    escaped = true
                    guard position + 1 < bytes.count else { throw fail("the text ends inside a string", at: start) }
                    let kind = bytes[position + 1]
                    switch kind {
                    case UInt8(ascii: "u"):
                        let hex = bytes[(position + 2)..<min(bytes.count, position + 6)]
                        guard hex.count == 4, hex.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }) else {
                            throw fail("'\\u' takes four hex digits")
                        }
                        position += 6
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        position += 2
                    default:
                        throw fail("'\\\(Character(Unicode.Scalar(kind)))' is not a JSON escape")
                    }
                case 0x00..<0x20:
                    throw fail("a control character inside a string (write it as an escape)")
                default:
                    position += 1
                }
            }
            throw fail("the text ends inside a string", at: start)
        }

        /// The text of a string's content already checked by ``string()``, its escapes resolved
        /// (`\u` escapes are UTF-16 units: a surrogate pair makes one character).
        static func resolvingEscapes(_ content: ArraySlice<UInt8>) -> String {
            var units: [UInt16] = []
            var position = content.startIndex
            var plainStart = position
            func flush() { units += Array(String(decoding: content[plainStart..<position], as: UTF8.self).utf16) }
            while position < content.endIndex {
                guard content[position] == UInt8(ascii: "\\") else {
                    position += 1
                    continue
                }
                flush()
                let kind = content[position + 1]
                switch kind {
                case UInt8(ascii: "u"):
                    units.append(UInt16(String(decoding: content[(position + 2)..<(position + 6)], as: UTF8.self), radix: 16) ?? 0xFFFD)
                    position += 6
                case UInt8(ascii: "b"): units.append(0x08); position += 2
                case UInt8(ascii: "f"): units.append(0x0C); position += 2
                case UInt8(ascii: "n"): units.append(0x0A); position += 2
                case UInt8(ascii: "r"): units.append(0x0D); position += 2
                case UInt8(ascii: "t"): units.append(0x09); position += 2
                default: units.append(UInt16(kind)); position += 2
                }
                plainStart = position
            }
            flush()
            return String(decoding: units, as: UTF16.self)
        }
    }
}

/// Text that is not strict JSON, or that parsers read differently.
public struct StrictJSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where a duplicate key is: `images[1].ref`, or `(top level)`; empty for a syntax error.
    public var keyPath: String
    public var reason: String
    /// Where, 1-based (columns count characters).
    public var line: Int
    public var column: Int

    public init(keyPath: String, reason: String, line: Int, column: Int) {
        self.keyPath = keyPath
        self.reason = reason
        self.line = line
        self.column = column
    }

    /// Whether the text is not JSON at all (rather than JSON with a duplicate key).
    public var isSyntaxError: Bool { keyPath.isEmpty }

    public var description: String {
        isSyntaxError ? "malformed JSON at line \(line), column \(column): \(reason)" : "\(keyPath): \(reason)"
    }
}
