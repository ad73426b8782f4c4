import Foundation
import OCIModel
import Testing

@Suite struct EscapingTests {
    @Test func controlCharactersBecomeVisible() {
        #expect("\u{1B}]0;pwned\u{07}ok".escapingControlCharacters() == #"\u{1B}]0;pwned\u{7}ok"#)
        #expect("a\r\nb\u{9B}c\u{7F}".escapingControlCharacters() == #"a\u{D}\u{A}b\u{9B}c\u{7F}"#)
        #expect("line\nnext\u{1B}".escapingControlCharacters(keepingNewlines: true) == "line\nnext\\u{1B}")
        #expect("plain text, ünïcödé ✓".escapingControlCharacters() == "plain text, ünïcödé ✓")
    }
}
