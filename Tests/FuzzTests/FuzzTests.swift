import Foundation
import OCIModel
import Testing

@testable import LayoutStore

/// Fuzzing passes over the parsers that read what others wrote: random and mutated inputs,
/// bounded in count (scale with `IMAGES_FUZZ_ITERATIONS`). A trap ends the test process, so
/// passing means none of the inputs crashed; each pass also checks a property that must hold
/// for whatever the parser accepts.
@Suite struct FuzzTests {
    @Test func theTarScannerNeverTrapsAndCountsOnlyWhatItRead() throws {
        var mutator = Mutator(random: SeededGenerator(seed: FuzzSettings.seed))
        let seeds = Self.tarSeeds()
        var (read, refused) = (0, 0)
        for _ in 0..<(20_000 * FuzzSettings.scale) {
            var input = mutator.mutate(seeds.randomElement(using: &mutator.random)!)
            // Headers fixed up half of the time, so that mutations get past the checksum.
            if Bool.random(using: &mutator.random) { Self.fixChecksums(&input) }
            var scanner = TarScanner()
            var pieceStart = 0
            do {
                while pieceStart < input.count {
                    let end = min(input.count, pieceStart + Int.random(in: 1...700, using: &mutator.random))
                    try input[pieceStart..<end].withUnsafeBytes { try scanner.consume($0) }
                    pieceStart = end
                }
                try scanner.finish()
                #expect(scanner.unpacked >= 0 && scanner.entries >= 0)
                #expect(scanner.entries <= input.count / 512, "every entry has a header block it was read from")
                read += 1
            } catch is TarScanner.Malformed {
                refused += 1
            }
        }
        // Both ways out were taken often: the mutations reach past the checksum and the sizes.
        #expect(read > 2_000 * FuzzSettings.scale && refused > 2_000 * FuzzSettings.scale, "\(read) read, \(refused) refused")
    }

    @Test func theManifestDecoderNeverTrapsAndKeepsSizesInRange() {
        var mutator = Mutator(random: SeededGenerator(seed: FuzzSettings.seed &+ 1))
        let seeds = Self.documentSeeds()
        let contentTypes: [String?] = [nil, "", ";", MediaType.ociManifest, MediaType.ociIndex, "text/html", "application/json"]
        var decoded = 0
        for _ in 0..<(20_000 * FuzzSettings.scale) {
            let input = mutator.mutate(seeds.randomElement(using: &mutator.random)!)
            let contentType = contentTypes.randomElement(using: &mutator.random)!
            guard let document = try? ManifestDocument.decode(input, contentType: contentType) else { continue }
            decoded += 1
            let descriptors: [Descriptor] =
                switch document {
                case .index(let index): index.manifests
                case .image(let manifest): manifest.blobs
                }
            #expect(descriptors.allSatisfy { (0...Descriptor.maximumSize).contains($0.size) })
            _ = try? ImageConfig.decode(input)
        }
        #expect(decoded > 200 * FuzzSettings.scale, "\(decoded) mutated documents decoded")
    }

    @Test func theStrictJSONCheckReportsOnlyRealDuplicates() {
        var mutator = Mutator(random: SeededGenerator(seed: FuzzSettings.seed &+ 2))
        let seeds = Self.documentSeeds() + [Array(#"{"version": 1, "images": ["a", {"ref": "b", "platforms": []}]}"#.utf8)]
        var (accepted, duplicates) = (0, 0)
        for _ in 0..<(20_000 * FuzzSettings.scale) {
            let input = mutator.mutate(seeds.randomElement(using: &mutator.random)!)
            do {
                try StrictJSON.check(input)
                accepted += 1
            } catch where !error.isSyntaxError {
                // A duplicate reported where Foundation's parse loses no key would be a false alarm.
                duplicates += 1
                if !Self.mayHoldDuplicates(input) {
                    Issue.record("a duplicate key reported in \(String(decoding: input, as: UTF8.self))")
                }
            } catch {
                continue
            }
        }
        #expect(
            accepted > 1_000 * FuzzSettings.scale && duplicates > 10 * FuzzSettings.scale,
            "\(accepted) accepted, \(duplicates) duplicates")
    }

    @Test func theReferenceParserNeverTrapsAndRoundTrips() throws {
        var random = SeededGenerator(seed: FuzzSettings.seed &+ 3)
        var mutator = Mutator(random: SeededGenerator(seed: FuzzSettings.seed &+ 4))
        let alphabet = Array("abcxyz019AZ._-/:@" + "sha256:" + "\u{1B}\u{0} é")
        let seeds = [
            "alpine", "library/alpine:3.20", "docker.io/library/alpine", "localhost:5000/a/b:c",
            "ghcr.io/acme/app@sha256:" + String(repeating: "a", count: 64), "[::1]:5000/x:y",
            "registry.example:443/a/b/c:tag@sha256:" + String(repeating: "0", count: 64),
        ].map { Array($0.utf8) }
        var accepted = 0
        for round in 0..<(100_000 * FuzzSettings.scale) {
            let text: String
            if round % 2 == 0 {
                text = String((0..<Int.random(in: 0...80, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            } else {
                text = String(decoding: mutator.mutate(seeds.randomElement(using: &mutator.random)!), as: UTF8.self)
            }
            guard let reference = try? Reference(parsing: text) else { continue }
            accepted += 1
            // What was accepted is written canonically, and that reads back as the same reference.
            let again = try Reference(parsing: reference.description)
            #expect(again == reference, "\(text) → \(reference) → \(again)")
        }
        #expect(accepted > 1000, "the pass reached past the parser's first checks")
    }

    // MARK: Seeds

    static func tarSeeds() -> [[UInt8]] {
        func entry(_ name: String, _ size: Int, type: Character = "0") -> [UInt8] {
            var header = Tar.header(name: name, size: Int64(size))
            header[156] = type.asciiValue!
            return header + [UInt8](repeating: 0x41, count: size) + [UInt8](repeating: 0, count: Tar.padding(after: Int64(size)))
        }
        let record = Array("19 size=9000000000\n".utf8)
        var pax = Tar.header(name: "PaxHeader", size: Int64(record.count))
        pax[156] = UInt8(ascii: "x")
        let paxEntry = pax + record + [UInt8](repeating: 0, count: Tar.padding(after: Int64(record.count)))
        var seeds = [
            entry("a", 10) + entry("b", 700) + Tar.end,
            entry("dir", 0, type: "5") + entry("link", 0, type: "1") + Tar.end,
            entry("././@LongLink", 300, type: "L") + entry("long", 5) + Tar.end,
            paxEntry + entry("big", 0, type: "5") + Tar.end,
            entry("no-end", 5),
        ]
        for index in seeds.indices { fixChecksums(&seeds[index]) }
        return seeds
    }

    static func documentSeeds() -> [[UInt8]] {
        let digest = "sha256:" + String(repeating: "a", count: 64)
        return [
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(digest)","size":7023},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(digest)","size":32654,"annotations":{"a":"b"}}]}"#,
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(digest)","size":7143,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(digest)","size":566,"platform":{"architecture":"unknown","os":"unknown"}}]}"#,
            #"{"schemaVersion":2,"manifests":[],"annotations":{"x":"y"}}"#,
            #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\#(digest)"]},"history":[{"created_by":"RUN x","empty_layer":true}]}"#,
        ].map { Array($0.utf8) }
    }

    /// Makes the checksum of every block that looks like a ustar header right again.
    static func fixChecksums(_ bytes: inout [UInt8]) {
        var offset = 0
        while offset + 512 <= bytes.count {
            if bytes[(offset + 257)..<(offset + 262)].elementsEqual("ustar".utf8) {
                let block = Array(bytes[offset..<(offset + 512)])
                let digits = Array(String(TarScanner.checksum(block, signed: false), radix: 8).utf8)
                guard digits.count <= 6 else { offset += 512; continue }
                let field = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits + [0, UInt8(ascii: " ")]
                bytes.replaceSubrange((offset + 148)..<(offset + 156), with: field)
            }
            offset += 512
        }
    }

    /// Whether text may hold a key twice that Foundation's parse hides (it keeps one of them).
    static func mayHoldDuplicates(_ bytes: [UInt8]) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else { return true }
        return countKeys(object) != Self.keyTokens(bytes)
    }

    private static func countKeys(_ value: Any) -> Int {
        if let object = value as? [String: Any] { return object.count + object.values.reduce(0) { $0 + countKeys($1) } }
        if let array = value as? [Any] { return array.reduce(0) { $0 + countKeys($1) } }
        return 0
    }

    /// Strings followed by ':' outside of strings: the keys as written.
    private static func keyTokens(_ bytes: [UInt8]) -> Int {
        var count = 0
        var inString = false
        var escaped = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    var next = index + 1
                    while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                    if next < bytes.count, bytes[next] == UInt8(ascii: ":") { count += 1 }
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            }
            index += 1
        }
        return count
    }
}
