import Testing

@testable import ImagesKit
@testable import images

/// What the tool prints, rendered without running it: tables that fit, sizes as Docker writes
/// them, counted nouns, and what to type after an error.
@Suite struct RenderingTests {
    @Test func aTableFitsItsWidthByCuttingTheLastColumn() {
        let rows = [
            ["docker.io/library/postgres:16", "12.3 MB", "RUN /bin/sh -c apt-get update && apt-get install -y postgresql-16"],
            ["alpine:3", "3.40 MB", "ADD file:abc in /"],
        ]
        let lines = Output.table(["REFERENCE", "SIZE", "CREATED BY"], rows, rightAligned: [1], width: 60)
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(lines)")
        #expect(lines[1].hasSuffix("…"))
        #expect(lines[2].hasSuffix("ADD file:abc in /"))
        // The size column is flush right, under its header's end.
        let sizeEnd = lines[0].range(of: "SIZE")!.upperBound
        #expect(lines[2][..<sizeEnd].hasSuffix("3.40 MB"))
        // Without a width nothing is cut; a cell's control characters are shown escaped.
        #expect(Output.table(["A"], [["x\u{1B}[31my"]]) == ["A", "x\\u{1B}[31my"])
        #expect(Output.table(["REFERENCE", "SIZE", "CREATED BY"], rows, rightAligned: [1])[1].hasSuffix("postgresql-16"))
    }

    @Test func sizesAreSIUnitsAsDockerShowsThem() {
        let cases: [(Int64, String)] = [
            (0, "0 B"), (999, "999 B"), (1000, "1.00 kB"), (1_234_567, "1.23 MB"), (45_600_000, "45.6 MB"),
            (999_949_999, "999.9 MB"), (5_000_000_000_000, "5.00 TB"), (5_000_000_000_000_000, "5000.0 TB"),
        ]
        for (bytes, text) in cases { #expect(Output.size(bytes) == text, "\(bytes)") }
        #expect(Output.counted(1, "image") == "1 image")
        #expect(Output.counted(0, "problem") == "0 problems")
    }

    @Test func errorsGetWhatToTypeWhereTheLibraryOnlySaysWhatWentWrong() {
        #expect(Images.hint(for: ImagesError.lockMissing(path: "images.lock.json")) == "run 'images lock' and commit it")
        #expect(Images.hint(for: ImagesError.notInCache(reference: "alpine:3", cache: "/c")) == "run 'images pull'")
        #expect(
            Images.hint(for: ManifestError(path: "images.json", keyPath: nil, message: ManifestError.noSuchFile))
                == "create one with 'images init', or pass --manifest PATH")
        #expect(Images.hint(for: ManifestError(path: "images.json", keyPath: "images[0]", message: "bad")) == nil)
        #expect(Images.hint(for: LockfileError(path: "images.lock.json", message: "x", isMalformed: true)) != nil)
        #expect(Images.hint(for: LockfileError(path: "images.lock.json", message: "cannot read the file: x")) == nil)
    }
}
