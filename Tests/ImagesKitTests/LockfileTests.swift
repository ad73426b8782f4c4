import Foundation
import OCIModel
import Testing

@testable import ImagesKit

@Suite struct LockfileTests {
    let digestA = try! Digest(parsing: "sha256:" + String(repeating: "a", count: 64))
    let digestB = try! Digest(parsing: "sha256:" + String(repeating: "b", count: 64))

    @Test func encodingIsSortedStableAndEndsWithANewline() {
        let lock = Lockfile(images: [
            LockedImage(
                ref: "zeta:1", canonical: "docker.io/library/zeta:1", digest: digestB, mediaType: "m",
                platforms: ["linux/arm64": digestB, "linux/amd64": digestA]),
            LockedImage(
                ref: "alpha:1", canonical: "docker.io/library/alpha:1", digest: digestA, mediaType: "m",
                platforms: ["linux/amd64": digestA]),
        ])
        let text = String(decoding: lock.encoded(), as: UTF8.self)
        #expect(text.hasSuffix("}\n"))
        #expect(text.range(of: "alpha:1")!.lowerBound < text.range(of: "zeta:1")!.lowerBound)
        #expect(text.range(of: "linux/amd64")!.lowerBound < text.range(of: "linux/arm64")!.lowerBound)
        let reordered = Lockfile(images: lock.images.reversed())
        #expect(reordered.encoded() == lock.encoded())
    }

    @Test func roundTripsThroughTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).json").path
        let lock = Lockfile(images: [
            LockedImage(
                ref: "a", canonical: "docker.io/library/a:latest", digest: digestA, mediaType: "m",
                platforms: ["linux/amd64": digestA])
        ])
        try lock.write(to: path)
        #expect(try Lockfile.load(path: path) == lock)
    }

    /// The library says what is wrong and where, and that writing it anew is the way out; the
    /// tool adds what to type (CommandLineTests.aBrokenLockSaysWhereAndHowToWriteItAnew).
    @Test func aCorruptLockSaysWhereAndThatItIsMalformed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).json").path
        try Data(#"{"version":1,"images":[{"ref":"a"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try Lockfile.load(path: path)
        } throws: { error in
            guard let error = error as? LockfileError else { return false }
            return error.isMalformed && error.description == "\(path): images[0].canonical: this required key is missing"
        }
    }

    @Test func changesNameMovedAddedAndRemovedImages() {
        let old = Lockfile(images: [
            LockedImage(ref: "a", canonical: "a", digest: digestA, mediaType: "m", platforms: ["linux/amd64": digestA]),
            LockedImage(ref: "gone", canonical: "gone", digest: digestA, mediaType: "m", platforms: ["linux/amd64": digestA]),
        ])
        let new = Lockfile(images: [
            LockedImage(ref: "a", canonical: "a", digest: digestB, mediaType: "m", platforms: ["linux/amd64": digestB]),
            LockedImage(ref: "new", canonical: "new", digest: digestA, mediaType: "m", platforms: ["linux/amd64": digestA]),
        ])
        let changes = LockWorkflow.changes(from: old, to: new)
        #expect(changes.contains(LockChange(ref: "a", kind: .moved, oldDigest: digestA, newDigest: digestB)))
        #expect(changes.contains(LockChange(ref: "new", kind: .added, oldDigest: nil, newDigest: digestA)))
        #expect(changes.contains(LockChange(ref: "gone", kind: .removed, oldDigest: digestA, newDigest: nil)))
    }
}
