import Foundation
import OCIModel
import Testing

@Suite struct StrictJSONTests {
    @Test(arguments: [
        (#"{"a": 1, "a": 2}"#, "a"),
        (#"{"images": [{"ref": "x"}, {"ref": "y", "ref": "z"}]}"#, "images[1].ref"),
        (#"{"registries": {"localhost:5000": {"insecure": true, "insecure": false}}}"#, #"registries["localhost:5000"].insecure"#),
        (#"{"a": [1, "two", [3], {"b": 1, "c": {"d": 1, "d": 2}}]}"#, "a[3].c.d"),
        // Escapes are resolved: parsers read both as the same key.
        (#"{"ref": 1, "r\u0065f": 2}"#, "ref"),
        (#"{"x": {}, "x": {}}"#, "x"),
    ])
    func aDuplicateKeyIsNamedWithItsPath(json: String, keyPath: String) {
        #expect {
            try StrictJSON.check(Array(json.utf8))
        } throws: { error in
            (error as? StrictJSONError)?.keyPath == keyPath
        }
    }
    @Test(arguments: [
        (#"{"images": ["a",]}"#, 1, 17, "a trailing comma before ']'"),
        ("{\n  \"version\": 1,\n}", 3, 1, "a trailing comma before '}'"),
        ("{\"version\": 1 // one\n}", 1, 15, "comments are not JSON"),
        (#"{"version": 1, /* two */ "images": []}"#, 1, 16, "comments are not JSON"),
        (#"{'version': 1}"#, 1, 2, "expected a key in double quotes, found '''"),
        (#"{"version": 01}"#, 1, 13, "a number may not start with 0"),
        (#"{"version": 1.}"#, 1, 13, "a number needs digits after its '.'"),
        (#"{"version": +1}"#, 1, 13, "expected a value, found '+'"),
        (#"{"version": 1} x"#, 1, 16, "unexpected 'x' after the JSON value"),
        (#"{"version": TRUE}"#, 1, 13, "expected a value, found 'T'"),
        ("{\"ref\": \"a\tb\"}", 1, 11, "a control character inside a string"),
        (#"{"ref": "a\xb"}"#, 1, 11, #"'\x' is not a JSON escape"#),
        (#"{"version": 1"#, 1, 14, "the text ends inside an object"),
        (#"["a" "b"]"#, 1, 6, #"expected ',' or ']', found '"'"#),
        ("", 1, 1, "there is no JSON value"),
        ("{\"a\": 1}\n{\"b\": 2}", 2, 1, "unexpected '{' after the JSON value"),
    ])
    func notStrictJSONSaysWhere(json: String, line: Int, column: Int, reason: String) {
        #expect {
            try StrictJSON.check(Array(json.utf8))
        } throws: { error in
            guard let error = error as? StrictJSONError, error.isSyntaxError else { return false }
            return error.line == line && error.column == column && error.reason.hasPrefix(reason)
        }
    }


    @Test(arguments: [
        #"{"a": 1, "b": {"a": 1}, "c": [{"a": 1}, {"a": 2}]}"#,
        #"{"a\"b": 1, "a": "b\": 1, \"a"}"#,
        #"["a", "a", {"a": "a"}]"#,
        #"{}"#, #"[]"#, #"  "text"  "#, #"[-0.5e+10, 0, 1E3, true, false, null, "\u00e9\n"]"#,
    ])
    func theSameKeyInDifferentObjectsIsFine(json: String) throws {
        try StrictJSON.check(Array(json.utf8))
    }

    @Test func nestingIsBoundedWithoutRecursion() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: StrictJSONError.self) { try StrictJSON.check(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try StrictJSON.check(Array(fine.utf8)) }
    }
}
