import Foundation
import Testing

@testable import OCIModel

/// Our SHA-256 (Sources/CSHA256), both its implementations, against FIPS 180-2's examples and
/// against coreutils' sha256sum on random inputs fed in random pieces.
struct SHA256Tests {
    /// FIPS 180-2, Appendix B (B.1, B.2, B.3), and the empty message.
    static let vectors: [(String, [UInt8], String)] = [
        ("empty", [], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "448 bits", Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "a million a", [UInt8](repeating: 0x61, count: 1_000_000),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
    ]

    /// Both implementations where this CPU has the SHA extensions; the portable one elsewhere.
    static let implementations = SHA256.isAccelerated ? [true, false] : [false]

    @Test(arguments: implementations)
    func theStandardsExamples(accelerated: Bool) {
        for (name, message, expected) in Self.vectors {
            var hash = SHA256(accelerated: accelerated)
            #expect(hash.usesAcceleration == accelerated)
            hash.update(message)
            #expect(hash.finalize().encoded == expected, "\(name)")
        }
    }

    @Test(arguments: implementations)
    func randomMessagesInRandomPiecesAgreeWithSha256sum(accelerated: Bool) throws {
        var generator = SystemRandomNumberGenerator()
        // Every length around the block and padding boundaries, then longer ones.
        let lengths = Array(0...130) + [191, 192, 193, 4095, 4096, 65_537, 1_000_003]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var ours: [String] = []
        for length in lengths {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(message).write(to: directory.appendingPathComponent("\(length)"))
            var hash = SHA256(accelerated: accelerated)
            var offset = 0
            while offset < message.count {
                let piece = min(message.count - offset, Int.random(in: 0...200, using: &generator))
                message[offset..<offset + piece].withUnsafeBytes { hash.update($0) }
                offset += piece
            }
            ours.append(hash.finalize().encoded)
        }
        let sha256sum = Process()
        sha256sum.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sha256sum.arguments = ["sha256sum"] + lengths.map(String.init)
        sha256sum.currentDirectoryURL = directory
        let output = Pipe()
        sha256sum.standardOutput = output
        try sha256sum.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sha256sum.waitUntilExit()
        let theirs = text.split(separator: "\n").map { String($0.prefix(64)) }
        #expect(theirs.count == lengths.count)
        for (index, length) in lengths.enumerated() where index < theirs.count {
            #expect(ours[index] == theirs[index], "length \(length)")
        }
    }

    @Test func aDigestCanBeTakenMidwayAndTheHashGoesOn() {
        var hash = SHA256()
        hash.update(Array("ab".utf8))
        #expect(hash.finalize() == SHA256.digest(of: Array("ab".utf8)))
        hash.update(Array("c".utf8))
        #expect(hash.finalize().encoded == Self.vectors[1].2)
    }
}
