import Foundation

/// A small, seeded generator (SplitMix64): the same seed gives the same inputs on every
/// machine, so that a failure found once is found again.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How long a fuzzing pass runs: `IMAGES_FUZZ_ITERATIONS` times the given count (1 when unset),
/// from `IMAGES_FUZZ_SEED` (a fixed seed when unset, so that CI runs the same inputs each time).
enum FuzzSettings {
    static var scale: Int {
        ProcessInfo.processInfo.environment["IMAGES_FUZZ_ITERATIONS"].flatMap(Int.init).map { max(1, $0) } ?? 1
    }

    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["IMAGES_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_1A6E
    }
}

/// Byte-level mutations of a valid input, as coverage-less fuzzers make them: flips, extremes
/// where numbers live, insertions, deletions, repeats and cuts, several at a time.
struct Mutator {
    var random: SeededGenerator

    /// Bytes that tend to matter to parsers: NUL, high bits, digits, signs, quotes, braces.
    static let interesting: [UInt8] = Array("\0\u{7F} 0179-+.e\"{}[],:/@x=\n".utf8) + [0x80, 0xFF, 0xC0, 0x1B]

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            case 1 where !bytes.isEmpty:
                bytes[position] = Self.interesting.randomElement(using: &random)!
            case 2:
                let count = Int.random(in: 1...16, using: &random)
                bytes.insert(contentsOf: (0..<count).map { _ in Self.interesting.randomElement(using: &random)! }, at: position)
            case 3 where !bytes.isEmpty:
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...64, using: &random)))
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...64, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: Int.random(in: 0...bytes.count, using: &random))
            case 5:
                bytes = Array(bytes.prefix(position))
            default:
                // A run of one digit or of 0xFF: numbers at their extremes.
                let byte: UInt8 = Bool.random(using: &random) ? UInt8(ascii: "7") : 0xFF
                let count = Int.random(in: 1...24, using: &random)
                let end = min(bytes.count, position + count)
                bytes.replaceSubrange(position..<end, with: [UInt8](repeating: byte, count: count))
            }
        }
        return bytes
    }
}
