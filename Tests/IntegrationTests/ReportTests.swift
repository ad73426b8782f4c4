import Foundation
import ImagesKit
import LayoutStore
import OCIModel
import Testing

/// `images report` on images in the real registry, checked against sizes known independently.
@Suite(.needsTestServices) struct ReportTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    /// A project declaring one hand-made image, pulled.
    func pulledHandMade(_ kind: String) async throws -> (Project, TestServices.HandMadeLayer, reference: String) {
        let repository = TestServices.uniqueRepository("report")
        let expected = try services.pushHandMadeImage(kind, to: "\(repository)/layer:1")
        let reference = "\(services.registry)/\(repository)/layer:1"
        let project = try Project(images: [reference])
        _ = try await project.withWorkspace { try await $0.pull() }
        return (project, expected, reference)
    }

    // (An uncompressed layer is measured in LayerMeasurementTests: skopeo compresses it on the way to a registry.)
    @Test(arguments: ["messy", "no-end", "two-members", "zstd"])
    func theThreeSizesOfAHandMadeLayerAreExact(kind: String) async throws {
        let (project, expected, reference) = try await pulledHandMade(kind)
        let report = try await project.withWorkspace { try await $0.report() }
        let image = try #require(report.images.first)
        #expect(image.reference == reference)
        #expect(image.source == .cache)
        let layer = try #require(image.layers.first)
        #expect(layer.compressed == expected.compressed)
        #expect(layer.tar == expected.tar)
        #expect(layer.unpacked == expected.unpacked)
        #expect(layer.createdBy == "/bin/sh -c make-layer \(kind)")
        #expect(layer.sharedBy == 1)
        #expect(image.total.unpacked == expected.unpacked)
        #expect(image.unique == image.total)

        let recorded = try LayoutStore(root: project.cache).recordedLayerSizes()[layer.digest]
        #expect(recorded?.entries == expected.entries)
        #expect(recorded?.tar == expected.tar)
    }

    @Test func measuredSizesAreRecordedAndNotMeasuredAgain() async throws {
        let (project, expected, _) = try await pulledHandMade("messy")
        let first = try await project.withWorkspace { try await $0.report() }
        // Cut the cached layer short: a second measurement would fail, a recorded size does not.
        let digest = try #require(first.images.first?.layers.first?.digest)
        let store = try LayoutStore(root: project.cache)
        try FileHandle(forWritingAtPath: store.blobPath(digest))!.truncate(atOffset: 100)
        let second = try await project.withWorkspace { try await $0.report() }
        #expect(second == first)
        #expect(second.images.first?.layers.first?.unpacked == expected.unpacked)
    }

    @Test func aLayerThatIsNotItsDiffIDIsACorruptImage() async throws {
        let (project, _, _) = try await pulledHandMade("wrong-diffid")
        await #expect {
            try await project.withWorkspace { try await $0.report() }
        } throws: { error in
            // Said of the image that has the layer.
            guard case ImagesError.imagesFailed(let failures) = error, failures.count == 1,
                case LayoutError.diffIDMismatch = failures[0].error
            else { return false }
            return failures[0].image.hasSuffix("linux/amd64") && "\(error)".contains("rootfs.diff_ids")
        }
        #expect(try LayoutStore(root: project.cache).recordedLayerSizes().isEmpty)
        let result = try images(["report"], in: project)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(services.registry)/report/"))
        #expect(result.stderr.contains("linux/amd64: layer sha256:"))
        #expect(result.stderr.contains("is corrupt: its uncompressed content hashes to"))
    }

    @Test func aLayerSharedByTwoImagesIsCountedOnceInTheSet() async throws {
        let base = "\(services.registry)/test/base:1"
        let app = "\(services.registry)/test/app:1"
        let project = try Project(images: [base, app])
        _ = try await project.withWorkspace { try await $0.pull() }
        let report = try await project.withWorkspace { try await $0.report() }
        let baseImage = try #require(report.images.first { $0.reference == base })
        let appImage = try #require(report.images.first { $0.reference == app })
        let shared = try #require(baseImage.layers.first)
        #expect(appImage.layers.count == 3)
        #expect(appImage.layers.first?.digest == shared.digest)
        #expect(shared.sharedBy == 2)
        #expect(appImage.layers.dropFirst().allSatisfy { $0.sharedBy == 1 })
        #expect(baseImage.unique.compressed == 0)
        #expect(appImage.unique.compressed == appImage.total.compressed - shared.compressed)
        #expect(report.unique.layers == 3)
        #expect(report.total.compressed == baseImage.total.compressed + appImage.total.compressed)
        #expect(report.unique.compressed == appImage.total.compressed)
        #expect(report.saved.compressed == shared.compressed)
        #expect(report.saved.unpacked == shared.unpacked)
        // umoci wrote the files: the base layer holds a 600,000-byte library and a 13-byte os-release.
        #expect(shared.unpacked == 600_013)
    }

    @Test func unpackedSizesAreWhatDockerSays() async throws {
        let repository = TestServices.uniqueRepository("report")
        try services.copy("test/app:1", to: "\(repository)/app:1")
        let reference = "\(services.registry)/\(repository)/app:1"
        let project = try Project(images: [reference])
        _ = try await project.withWorkspace { try await $0.pull() }
        _ = try await project.withWorkspace(environment: ["DOCKER_HOST": services.dockerHost]) {
            try await $0.load(method: .archive)
        }
        let report = try await project.withWorkspace { try await $0.report() }
        let image = try #require(report.images.first)

        #expect(try daemonLayerSizes(of: reference, matching: image).count == 3)
    }

    @Test func aLayerWrittenByUmociInsertIsMeasuredAsDockerUnpacksIt() async throws {
        // umoci insert ends the layer right after the last file's data; Go's archive/tar, and so
        // Docker, take that as the end of the archive.
        let reference = "\(services.registry)/\(TestServices.uniqueRepository("report"))/inserted:1"
        try services.pushUmociInsertImage(to: reference.dropFirst(services.registry.count + 1).description)
        let project = try Project(images: [reference], platforms: ["linux/amd64"])
        #expect(try images(["pull"], in: project).status == 0)
        let report = try images(["report", "--json"], in: project)
        #expect(report.status == 0, "\(report.stderr)")
        struct Document: Decodable { var report: SizeReport }
        let image = try #require(try JSONDecoder().decode(Document.self, from: Data(report.stdout.utf8)).report.images.first)
        #expect(image.total.unpacked == Int64(12 + 3_333), "the two files")

        let load = try images(["load", "--via", "archive"], in: project, environment: ["DOCKER_HOST": services.dockerHost])
        #expect(load.status == 0, "\(load.stderr)")
        _ = try daemonLayerSizes(of: reference, matching: image)
    }

    /// Checks the report's unpacked sizes against the test daemon's: the image's `Size` and each
    /// layer's `docker history` size.
    /// - Returns: the daemon's non-empty layer sizes, oldest first.
    func daemonLayerSizes(of reference: String, matching image: SizeReport.Image) throws -> [Int64] {
        let inspect = try #require(try services.dockerAPI("/images/\(reference)/json") as? [String: Any])
        #expect((inspect["Size"] as? NSNumber)?.int64Value == image.total.unpacked)
        let history = try #require(try services.dockerAPI("/images/\(reference)/history") as? [[String: Any]])
        let sizes = history.reversed().compactMap { ($0["Size"] as? NSNumber)?.int64Value }.filter { $0 > 0 }
        #expect(sizes == image.layers.compactMap(\.unpacked).filter { $0 > 0 })
        return sizes
    }

    @Test func everyFormatDescribesTheSameReport() async throws {
        let (project, expected, reference) = try await pulledHandMade("messy")
        let json = try images(["report", "--format", "json"], in: project)
        #expect(json.status == 0, "\(json.stderr)")
        struct Document: Decodable { var report: SizeReport }
        let report = try JSONDecoder().decode(Document.self, from: Data(json.stdout.utf8)).report
        #expect(report.images.first?.layers.first?.unpacked == expected.unpacked)
        #expect(try images(["report", "--json"], in: project).stdout == json.stdout)
        let digest = try #require(report.images.first?.layers.first?.digest.short)

        let table = try images(["report"], in: project)
        #expect(table.status == 0)
        #expect(table.stdout.contains(reference))
        #expect(table.stdout.contains("LAYER"))
        let row = try #require(table.stdout.split(separator: "\n").first { $0.contains(digest) })
        #expect(row.contains(String(format: "%.1f kB", Double(expected.compressed) / 1000)))
        #expect(row.contains("RUN make-layer messy"))
        #expect(table.stdout.contains("each layer once"))

        let markdown = try images(["report", "--format", "markdown"], in: project)
        #expect(markdown.stdout.hasPrefix("### Image sizes\n"))
        #expect(markdown.stdout.contains("| `\(reference)` | linux/amd64 | 1 |"))
        #expect(markdown.stdout.contains("| `\(digest)` |"))

        let summary = project.directory + "/summary.md"
        for _ in 0..<2 {
            let result = try images(
                ["report", "--summary", "--quiet"], in: project, environment: ["GITHUB_STEP_SUMMARY": summary])
            #expect(result.status == 0)
        }
        let appended = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(appended == markdown.stdout + markdown.stdout)
    }

    @Test func budgetsPassWithHeadroomAndFailWithTheExcess() async throws {
        let (project, expected, reference) = try await pulledHandMade("messy")
        try project.write(
            images: [#"{"ref": "\#(reference)", "budget": {"compressed": "1MB", "unpacked": 71827, "layers": 2}}"#],
            extra: #""budgets": {"total": {"compressed": "1 MiB"}},"#)
        let passing = try images(["report", "--check", "--format", "json"], in: project)
        #expect(passing.status == 0, "\(passing.stderr)")
        #expect(passing.stderr.contains("ok \(reference) linux/amd64 compressed"))
        #expect(passing.stderr.contains("ok \(reference) linux/amd64 unpacked 71.8 kB of 71.8 kB (0 B left)"))
        #expect(passing.stderr.contains("ok \(reference) linux/amd64 layers 1 of 2 (1 left)"))
        #expect(passing.stderr.contains("ok total compressed"))
        struct Document: Decodable { var budgets: [BudgetCheck]? }
        let checks = try #require(try JSONDecoder().decode(Document.self, from: Data(passing.stdout.utf8)).budgets)
        #expect(checks.count == 4)
        #expect(checks.allSatisfy { !$0.exceeded })

        try project.write(
            images: [#"{"ref": "\#(reference)", "budget": {"unpacked": "70kB"}}"#],
            extra: #""budgets": {"total": {"compressed": "50kB"}},"#)
        let failing = try images(["report", "--check"], in: project)
        #expect(failing.status == 1)
        // The table's last lines; the verdict on stderr.
        let lastLines = failing.stdout.split(separator: "\n").suffix(2)
        #expect(lastLines.first == "over \(reference) linux/amd64 unpacked 71.8 kB of 70.0 kB (1.83 kB over)", "\(failing.stdout)")
        #expect(lastLines.last?.hasPrefix("over total compressed") == true, "\(failing.stdout)")
        #expect(failing.stderr == "error: 2 of 2 budgets exceeded\n", "\(failing.stderr)")
        #expect(failing.stderr.contains("error: 2 of 2 budgets exceeded"))
        #expect(expected.compressed > 50_000)
    }

    @Test func aBudgetThatIsNotASizeIsAManifestError() throws {
        let project = try Project(images: [#"{"ref": "alpine:3", "budget": {"compressed": "12 parsecs"}}"#])
        let result = try images(["report"], in: project)
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "error: images.json: images[0].budget.compressed: '12 parsecs' is not a size (write it like \"400MB\", \"1.2GB\" or \"512MiB\")\n"
        )
    }

    @Test func imagesNotCachedAreReportedFromTheirManifestsWithRemote() async throws {
        let repository = TestServices.uniqueRepository("report")
        let expected = try services.pushHandMadeImage("messy", to: "\(repository)/layer:1")
        let project = try Project(images: ["\(services.registry)/\(repository)/layer:1"])
        #expect(try images(["lock"], in: project).status == 0)
        let refused = try images(["report"], in: project)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is not in the cache"))

        let report = try await project.withWorkspace { try await $0.report(remote: true) }
        let image = try #require(report.images.first)
        #expect(image.source == .remote)
        #expect(image.layers.first?.compressed == expected.compressed)
        #expect(image.layers.first?.tar == nil)
        #expect(image.total.unpacked == nil)
        #expect(image.layers.first?.createdBy == "/bin/sh -c make-layer messy")
        let table = try images(["report", "--remote"], in: project)
        #expect(table.stdout.contains("not cached: compressed sizes from the manifest"))
        let layer = try #require(image.layers.first)
        let store = try LayoutStore(root: project.cache)
        #expect(!store.hasBlob(layer.digest))
    }
}
