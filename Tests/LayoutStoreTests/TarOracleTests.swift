import Foundation
import Testing

@testable import LayoutStore

/// Our tar scanner against Go's `archive/tar`, which decides what Docker and containerd unpack
/// (`scripts/testservices/tar-oracle`, built here with Debian's `golang-go`): over a corpus of
/// odd and broken streams — hand-made entries of every kind, and archives GNU tar writes in its
/// formats, sparse files included — each cut at every header, data and padding boundary, both
/// must accept or refuse the same streams, and agree on the sizes of those they accept.
@Suite struct TarOracleTests {
    @Test func ourScannerAndGosArchiveTarAgree() throws {
        let corpus = try Self.corpus()
        let verdicts = try Self.oracle(corpus.map(\.bytes))
        var disagreements: [String] = []
        for (sample, go) in zip(corpus, verdicts) {
            let ours = Self.scan(sample.bytes)
            switch (ours, go.ok) {
            case (.success(let scanner), true):
                if scanner.unpacked != go.unpacked || scanner.entries != go.entries {
                    disagreements.append(
                        "\(sample.name): sizes \(scanner.unpacked)/\(scanner.entries) entries, Go \(go.unpacked)/\(go.entries)")
                }
            case (.failure(let error), true):
                disagreements.append("\(sample.name): we refuse (\(error)), Go reads \(go.unpacked) bytes")
            case (.success, false):
                disagreements.append("\(sample.name): we accept, Go refuses (\(go.error ?? ""))")
            case (.failure, false):
                break
            }
        }
        let shown = disagreements.prefix(30).joined(separator: "\n")
        #expect(disagreements.isEmpty, "\(disagreements.count) of \(corpus.count) samples:\n\(shown)")
        // The corpus reaches both verdicts, often.
        #expect(verdicts.filter(\.ok).count > 100 && verdicts.filter { !$0.ok }.count > 100)
    }

    struct Sample {
        var name: String
        var bytes: [UInt8]
    }

    struct Verdict: Decodable {
        var ok: Bool
        var unpacked: Int64
        var entries: Int
        var error: String?
    }

    static func scan(_ bytes: [UInt8]) -> Result<TarScanner, any Error> {
        Result {
            var scanner = TarScanner()
            try bytes.withUnsafeBytes { try scanner.consume($0) }
            try scanner.finish()
            return scanner
        }
    }

    // MARK: The corpus

    /// Every archive whole, and cut at every boundary of its blocks and their neighbours.
    static func corpus() throws -> [Sample] {
        var samples: [Sample] = []
        for (name, archive) in try archives() {
            var cuts = Set<Int>()
            for block in stride(from: 0, through: archive.count, by: 512) {
                for delta in [-1, 0, 1, 100, 257, 511] { cuts.insert(block + delta) }
            }
            for cut in cuts.sorted() where cut >= 0 && cut <= archive.count {
                samples.append(Sample(name: "\(name) cut at \(cut) of \(archive.count)", bytes: Array(archive.prefix(cut))))
            }
            samples.append(Sample(name: "\(name) + garbage block", bytes: archive + [UInt8](repeating: 0x41, count: 512)))
        }
        return samples
    }

    static func archives() throws -> [(String, [UInt8])] {
        func entry(_ name: String, _ size: Int, type: Character = "0") -> [UInt8] {
            entryHeader(name, size: size, type: type) + [UInt8](repeating: 0x41, count: size)
                + [UInt8](repeating: 0, count: Tar.padding(after: Int64(size)))
        }
        func pax(_ records: [String], type: Character = "x") -> [UInt8] {
            let body = records.map { record -> String in
                var length = record.utf8.count + 2
                while "\(length) \(record)\n".utf8.count != length { length += 1 }
                return "\(length) \(record)\n"
            }.joined()
            return entryHeader("PaxHeader", size: body.utf8.count, type: type) + Array(body.utf8) + [UInt8](repeating: 0, count: Tar.padding(after: Int64(body.utf8.count)))
        }
        var archives: [(String, [UInt8])] = [
            ("files", entry("a", 1) + entry("b", 511) + entry("c", 512) + entry("d", 513) + Tar.end),
            ("empty files", entry("a", 0) + entry("b", 0) + Tar.end),
            ("links and dirs", entry("dir", 0, type: "5") + entry("hard", 0, type: "1") + entry("sym", 0, type: "2") + Tar.end),
            ("pax size", pax(["size=1000"]) + entry("big", 0, type: "5") + Tar.end),
            ("pax path", pax(["path=" + String(repeating: "p", count: 300)]) + entry("x", 700) + Tar.end),
            ("gnu long name", entry("././@LongLink", 300, type: "L") + entry("long", 5) + Tar.end),
            ("global pax", pax(["comment=hello"], type: "g") + entry("after-global", 5) + Tar.end),
            ("one end block", entry("a", 5) + [UInt8](repeating: 0, count: 512)),
            ("no end blocks", entry("a", 700)),
        ]
        archives.append(contentsOf: try gnuTarArchives())
        return archives
    }

    /// The header of a regular file from `Tar.header`, of another type, checksum made right.
    static func entryHeader(_ name: String, size: Int, type: Character) -> [UInt8] {
        var block = Tar.header(name: name, size: Int64(size))
        block[156] = type.asciiValue!
        let digits = Array(String(TarScanner.checksum(block, signed: false), radix: 8).utf8)
        let field = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits + [0, UInt8(ascii: " ")]
        block.replaceSubrange(148..<156, with: field)
        return block
    }

    /// What GNU tar writes: ustar, gnu, oldgnu and pax formats, with a sparse file, a long name,
    /// a hard link and an empty directory.
    static func gnuTarArchives() throws -> [(String, [UInt8])] {
        let directory = temporaryDirectory()
        let tree = directory + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/empty", withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 3000).write(to: URL(fileURLWithPath: tree + "/file"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: tree + "/" + String(repeating: "n", count: 150)))
        try FileManager.default.linkItem(atPath: tree + "/file", toPath: tree + "/hardlink")
        // A sparse file: data, a hole of 64 KiB, data.
        #expect(FileManager.default.createFile(atPath: tree + "/sparse", contents: nil))
        let sparse = try FileHandle(forWritingTo: URL(fileURLWithPath: tree + "/sparse"))
        try sparse.write(contentsOf: Data(repeating: 0x43, count: 1000))
        try sparse.seek(toOffset: 66_536)
        try sparse.write(contentsOf: Data(repeating: 0x44, count: 1000))
        try sparse.close()
        var archives: [(String, [UInt8])] = []
        for format in ["ustar", "gnu", "oldgnu", "pax"] {
            for sparseFlag in format == "ustar" ? [false] : [false, true] {
                let output = directory + "/\(format)\(sparseFlag ? "-sparse" : "").tar"
                var arguments = ["tar", "--format=\(format)", "--sort=name", "--mtime=@0", "-cf", output, "-C", tree]
                if sparseFlag { arguments.insert("--sparse", at: 1) }
                arguments.append(contentsOf: format == "ustar" ? ["empty", "file", "hardlink", "sparse"] : ["."])
                try runTool("/usr/bin/env", arguments)
                archives.append(("GNU tar \(format)\(sparseFlag ? " sparse" : "")", [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))))
            }
        }
        return archives
    }

    // MARK: The oracle

    /// Builds the oracle once per run and asks it about every sample.
    static func oracle(_ samples: [[UInt8]]) throws -> [Verdict] {
        let directory = temporaryDirectory()
        let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/testservices/tar-oracle").path
        let binary = directory + "/tar-oracle"
        try runTool(
            "/usr/bin/env", ["go", "build", "-o", binary, "."], directory: scripts,
            environment: ["GOCACHE": NSTemporaryDirectory() + "/swift-images-gocache", "GOFLAGS": "-mod=mod", "GO111MODULE": "on"])
        var paths: [String] = []
        for (index, sample) in samples.enumerated() {
            let path = directory + "/\(index).tar"
            try Data(sample).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let output = try runTool(binary, paths)
        let lines = output.split(separator: "\n")
        return try lines.map { try JSONDecoder().decode(Verdict.self, from: Data($0.utf8)) }
    }

    struct ToolFailed: Error, CustomStringConvertible {
        var command: String
        var output: String
        var description: String { "\(command) failed: \(output)" }
    }

    @discardableResult
    static func runTool(_ program: String, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:])
        throws -> String
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let outputPath = temporaryDirectory() + "/output"
        #expect(FileManager.default.createFile(atPath: outputPath, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw ToolFailed(command: ([program] + arguments.prefix(4)).joined(separator: " "), output: output)
        }
        return output
    }
}
