import Foundation
// What the trait gives (``PreparedImage``, ``Images``) and the errors it reports, without a
// second import.
@_exported import ImagesKit
import Testing

/// A trait that makes images ready before a suite (or a test) runs: pulled as the package's
/// `images.lock.json` pins them (no request at all when the cache has them) and loaded into
/// the engine, once for the suite.
///
/// ```swift
/// import ImagesTesting
/// import Testing
///
/// @Suite(.images("postgres:16"))
/// struct DatabaseTests {
///     @Test func migrates() async throws {
///         let postgres = try #require(Images.prepared("postgres:16")?.name)
///         // docker run … postgres
///     }
/// }
/// ```
///
/// When an image cannot be made ready, the suite's tests fail with the tool's own words (the
/// reference, the registry, the file) and what to run about it.
public struct ImagesTrait: SuiteTrait, TestTrait, TestScoping {
    /// The images, as `images.json` declares them.
    public let references: [String]
    /// Whether the images go into the engine too, or only into the cache.
    public let load: Bool
    /// `images.json`: the one given, or the first found from the directory of the file that
    /// declares the suite upwards.
    let manifest: String?
    let sourceLocation: SourceLocation

    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let manifest = try manifest ?? Self.manifest(above: sourceLocation.filePath)
        let prepared: [PreparedImage]
        do {
            prepared = try await Images.prepare(references, manifest: manifest, load: load)
        } catch {
            throw ImagesNotReady(references: references, manifest: manifest, underlying: error)
        }
        var byReference = Images.preparedByReference
        for (reference, image) in zip(references, prepared) { byReference[reference] = image }
        try await Images.$preparedByReference.withValue(byReference, operation: function)
    }

    /// The nearest `images.json` file (a directory of that name does not count) in the directory
    /// of `file` or above it.
    static func manifest(above file: String) throws -> String {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while true {
            let candidate = directory.appendingPathComponent("images.json").path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            let parent = directory.deletingLastPathComponent()
            guard parent.path != directory.path else {
                throw ImagesNotReady.noManifest(above: file)
            }
            directory = parent
        }
    }
}

extension Trait where Self == ImagesTrait {
    /// Makes `references` ready before the suite or test runs: in the cache as the lock pins
    /// them, and with `load` in the engine.
    /// - Parameters:
    ///   - references: images as `images.json` declares them.
    ///   - manifest: the path of `images.json`; nil for the nearest one above the file that
    ///     uses the trait.
    ///   - load: put the images into the engine too (the default), or only into the cache.
    ///   - sourceLocation: where the trait is used; its file is where the manifest is looked
    ///     for, upwards.
    public static func images(
        _ references: String..., manifest: String? = nil, load: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Self {
        ImagesTrait(references: references, load: load, manifest: manifest, sourceLocation: sourceLocation)
    }
}

extension Images {
    @TaskLocal static var preparedByReference: [String: PreparedImage] = [:]

    /// What an enclosing ``ImagesTrait`` prepared for `reference` (written as in the trait);
    /// nil outside a suite or test that has the trait.
    public static func prepared(_ reference: String) -> PreparedImage? {
        preparedByReference[reference]
    }
}

/// Why a suite's images could not be made ready: the tool's message, and what to run.
public struct ImagesNotReady: Error, CustomStringConvertible {
    /// The images the trait asked for.
    public let references: [String]
    /// The manifest they were looked up in; nil when none was found.
    public let manifest: String?
    /// What went wrong: an `ImagesError`, a `ManifestError`, or the registry's or engine's error.
    public let underlying: any Error

    static func noManifest(above file: String) -> ImagesNotReady {
        ImagesNotReady(
            references: [], manifest: nil,
            underlying: ManifestError(
                path: URL(fileURLWithPath: file).deletingLastPathComponent().path + "/…/images.json", keyPath: nil,
                message: "no images.json in this directory or any above it (pass manifest: to .images)"))
    }

    public var description: String {
        let what = references.isEmpty ? "the images" : references.joined(separator: ", ")
        var text = "\(what) could not be made ready: \(underlying)"
        switch underlying {
        case ImagesError.lockMissing, ImagesError.lockOutdated:
            text += " (run 'swift package images lock' and commit images.lock.json)"
        case ImagesError.imagesFailed, ImagesError.notInCache:
            text += " (with no network, 'swift package images pull --locked' where there is one fills the cache)"
        default:
            break
        }
        return text
    }
}
