import Foundation
import OCIModel
import Testing

@testable import ImagesKit

@Suite struct SizeBudgetTests {
    @Test(
        arguments: [
            ("400MB", 400_000_000), ("1.2GB", 1_200_000_000), ("1.2 GB", 1_200_000_000), ("512MiB", 536_870_912),
            ("10kB", 10_000), ("10KB", 10_000), ("3 KiB", 3072), ("2TB", 2_000_000_000_000), ("123", 123), ("0B", 0),
            ("1.5GiB", 1_610_612_736),
        ] as [(String, Int64)])
    func sizesParse(text: String, bytes: Int64) {
        #expect(SizeBudget.parseSize(text) == bytes)
    }

    @Test(arguments: ["12 parsecs", "", "MB", "-5MB", "1..2GB", "1e3", "5 M B", "99999999999TB"])
    func nonSizesDoNotParse(text: String) {
        #expect(SizeBudget.parseSize(text) == nil)
    }

    @Test func budgetsAreReadFromImagesAndTheSet() throws {
        let manifest = try ImagesManifest.decode(
            Data(
                #"""
                {"version": 1,
                 "images": [{"ref": "swift:6.0-jammy", "budget": {"compressed": "400MB", "unpacked": "1.2GB", "layers": 12}},
                            "postgres:16"],
                 "budgets": {"total": {"compressed": "2GB", "tar": 1000}}}
                """#.utf8), path: "images.json", hostPlatform: Platform(os: "linux", architecture: "amd64"))
        #expect(manifest.images[0].budget == SizeBudget(compressed: 400_000_000, unpacked: 1_200_000_000, layers: 12))
        #expect(manifest.images[1].budget == nil)
        #expect(manifest.totalBudget == SizeBudget(compressed: 2_000_000_000, tar: 1000))
    }

    @Test(arguments: [
        (#"{"ref": "a", "budget": {"compressed": "12 parsecs"}}"#, "images[0].budget.compressed: '12 parsecs' is not a size"),
        (#"{"ref": "a", "budget": {"layers": "many"}}"#, "images[0].budget.layers: expected a number of layers"),
        (#"{"ref": "a", "budget": {"compresed": "1GB"}}"#, "images[0].budget.compresed: unknown key 'compresed'"),
    ])
    func badBudgetsAreNamedWithTheirKeyPath(image: String, message: String) {
        #expect {
            try ImagesManifest.decode(Data(#"{"version": 1, "images": [\#(image)]}"#.utf8), path: "images.json")
        } throws: { error in
            "\(error)".hasPrefix("images.json: \(message)")
        }
    }

    @Test func anUnknownKeyInBudgetsIsNamed() {
        #expect {
            try ImagesManifest.decode(Data(#"{"version": 1, "images": [], "budgets": {"totl": {}}}"#.utf8), path: "images.json")
        } throws: { error in
            "\(error)".hasPrefix("images.json: budgets.totl: unknown key 'totl'")
        }
    }
}
