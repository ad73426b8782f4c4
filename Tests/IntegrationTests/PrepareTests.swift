import Foundation
import ImagesKit
import Testing

@testable import ImagesTesting

/// `Images.prepare`, the entry point for programs and tests, against the test registry; the
/// `.images` trait end to end is in `PluginTests` (the example package's own tests).
@Suite(.needsTestServices) struct PrepareTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    @Test func preparesTheNamedImagesAsTheLockPinsThemAndNeedsOnlyTheirPins() async throws {
        let base = "\(services.registry)/test/base:1"
        let app = "\(services.registry)/test/app:1"
        let project = try Project(images: [base])
        _ = try await project.withWorkspace { try await $0.lock(update: []) }
        // app is declared after the lock was written: preparing base alone needs no pin of app.
        try project.write(images: [base, app])
        let environment = ["HOME": project.directory]

        let prepared = try await Images.prepare(
            [base], manifest: project.manifestPath, load: false, cache: project.cache, environment: environment)
        let pinned = try #require(try Lockfile.load(path: project.lockPath)?.images.first)
        #expect(prepared.map(\.reference) == [base])
        #expect(prepared.map(\.digest) == Array(pinned.platforms.values))
        #expect(prepared.map(\.name) == [nil])

        await #expect {
            try await Images.prepare(
                [app], manifest: project.manifestPath, load: false, cache: project.cache, environment: environment)
        } throws: { error in
            guard case ImagesError.lockOutdated(let path, let images) = error else { return false }
            return path == project.lockPath && images == [app]
        }
        await #expect {
            try await Images.prepare(
                ["\(services.registry)/test/undeclared:1"], manifest: project.manifestPath, load: false,
                cache: project.cache, environment: environment)
        } throws: { error in
            (error as? ManifestError)?.message.contains("is not declared in this manifest") == true
        }
    }

    @Test func theTraitFindsTheNearestManifestAboveTheSuitesFile() throws {
        let project = try Project(images: [])
        let nested = project.directory + "/Tests/ServiceTests"
        // A directory that happens to be named images.json is passed over.
        try FileManager.default.createDirectory(atPath: nested + "/images.json", withIntermediateDirectories: true)
        #expect(try ImagesTrait.manifest(above: nested + "/DatabaseTests.swift") == project.manifestPath)

        let lonely = FileManager.default.temporaryDirectory.appendingPathComponent("lonely-\(UUID())").path
        #expect {
            try ImagesTrait.manifest(above: lonely + "/Tests/DatabaseTests.swift")
        } throws: { error in
            String(describing: error).contains("no images.json in this directory or any above it")
        }
    }
}
