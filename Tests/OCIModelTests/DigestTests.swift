import Foundation
import OCIModel
import Testing

@Suite struct DigestTests {
    @Test func parsesSha256AndSha512() throws {
        #expect(try Digest(parsing: "sha256:" + String(repeating: "0", count: 64)).algorithm == "sha256")
        #expect(try Digest(parsing: "sha512:" + String(repeating: "f", count: 128)).encoded.count == 128)
    }

    @Test func hexOfAComputedHashIsLowercase() throws {
        let digest = Digest(sha256: [UInt8](repeating: 0xAB, count: 32))
        #expect(digest.encoded == String(repeating: "ab", count: 32))
        #expect(digest.short == "abababababab")
    }

    @Test func decodingAnInvalidDigestFails() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Digest].self, from: Data(#"["sha256:nothex"]"#.utf8))
        }
    }
}
