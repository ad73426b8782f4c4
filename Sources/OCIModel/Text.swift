extension String {
    /// The text with every control character (C0, DEL, C1) written as a visible escape
    /// (`\u{1B}`), so that text from outside — a registry's message, a daemon's error, a name
    /// read from a file — cannot move the cursor, retitle the window or forge lines on a
    /// terminal. Tabs and newlines are escaped too, unless `keepingNewlines`.
    public func escapingControlCharacters(keepingNewlines: Bool = false) -> String {
        guard unicodeScalars.contains(where: { Self.isControl($0, keepingNewlines: keepingNewlines) }) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            if Self.isControl(scalar, keepingNewlines: keepingNewlines) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar, keepingNewlines: Bool) -> Bool {
        if keepingNewlines && scalar == "\n" { return false }
        return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
