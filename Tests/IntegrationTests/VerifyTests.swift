import Foundation
import LayoutStore
import Testing

/// `images verify` on a cache with damage of every kind, then `--repair` and a pull.
@Suite(.needsTestServices) struct VerifyTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    @Test func verifyFindsEveryKindOfDamageAndRepairLetsThePullMendIt() throws {
        let project = try Project(images: ["\(services.registry)/test/base:1", "\(services.registry)/test/app:1"])
        #expect(try images(["pull"], in: project).status == 0)
        #expect(try images(["report"], in: project).status == 0)  // records layer diff_ids
        let sound = try images(["verify", "--json"], in: project)
        #expect(sound.status == 0, "\(sound.stderr)")
        let before = try JSONDecoder().decode(VerifyReport.self, from: Data(sound.stdout.utf8))
        #expect(before.isSound && before.blobs >= 6 && before.layersDecompressed >= 3)

        // One layer's bytes changed, one blob gone, a stray file.
        let blobs = project.cache + "/blobs/sha256/"
        let byPath = try FileManager.default.contentsOfDirectory(atPath: blobs).sorted {
            (try FileManager.default.attributesOfItem(atPath: blobs + $0)[.size] as! Int)
                > (try FileManager.default.attributesOfItem(atPath: blobs + $1)[.size] as! Int)
        }
        let (damaged, gone) = (byPath[0], byPath[1])
        let handle = try #require(FileHandle(forUpdatingAtPath: blobs + damaged))
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: Data("damage".utf8))
        try handle.close()
        try FileManager.default.removeItem(atPath: blobs + gone)
        #expect(FileManager.default.createFile(atPath: blobs + "notes.txt", contents: Data("hello".utf8)))

        let found = try images(["verify", "--json"], in: project)
        #expect(found.status == 1)
        let report = try JSONDecoder().decode(VerifyReport.self, from: Data(found.stdout.utf8))
        let kinds = Dictionary(grouping: report.problems, by: \.kind)
        #expect(kinds[.corrupt]?.map(\.blob) == ["sha256:" + damaged])
        #expect(kinds[.missing]?.contains { $0.blob == "sha256:" + gone && $0.detail.contains("needed by ") } == true)
        #expect(kinds[.stray]?.map(\.blob) == ["notes.txt"])
        #expect(report.problems.allSatisfy { !$0.removed })
        #expect(!report.incompleteImages.isEmpty)

        // The images still lack two blobs after the repair: exit 1, and a word on what to run.
        let repair = try images(["verify", "--repair"], in: project)
        #expect(repair.status == 1)
        #expect(repair.stdout.contains("corrupt sha256:\(damaged)") && repair.stdout.contains("(removed)"))
        #expect(repair.stdout.contains("3 problems, 2 removed"), "\(repair.stdout)")
        #expect(repair.stderr.contains("run 'images pull' to fetch the blobs these images lack: "), "\(repair.stderr)")
        #expect(!FileManager.default.fileExists(atPath: blobs + damaged))
        #expect(!FileManager.default.fileExists(atPath: blobs + "notes.txt"))

        let pull = try images(["pull", "--locked"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        let after = try images(["verify"], in: project)
        #expect(after.status == 0, "\(after.stderr)")

        // A repair that leaves nothing wrong succeeds, and sends nobody to pull.
        #expect(FileManager.default.createFile(atPath: blobs + "notes.txt", contents: Data("hello".utf8)))
        let strayOnly = try images(["verify", "--repair"], in: project)
        #expect(strayOnly.status == 0, "\(strayOnly.stdout)\(strayOnly.stderr)")
        #expect(strayOnly.stdout.contains("1 problem, all removed"), "\(strayOnly.stdout)")
        #expect(!strayOnly.stderr.contains("images pull"))
        let json = try images(["verify", "--json"], in: project)
        let final = try JSONDecoder().decode(VerifyReport.self, from: Data(json.stdout.utf8))
        #expect(final.isSound && final.incompleteImages.isEmpty)
    }

    /// `kill -9` at random moments of pulls, then one pull that completes and a sound cache.
    @Test func pullsKilledAtRandomMomentsLeaveACacheTheNextPullCompletes() async throws {
        let repository = TestServices.uniqueRepository("kill")
        try services.pushRandomImage("\(repository)/a:1", bytes: 4_000_000)
        try services.pushRandomImage("\(repository)/b:1", bytes: 2_000_000)
        // The throttling front (4 MB/s) makes a cold pull last about a second and a half.
        let project = try Project(images: ["a", "b"].map { "\(services.slowRegistry)/\(repository)/\($0):1" })
        #expect(try images(["lock"], in: project).status == 0)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try imagesBinary())
            process.arguments = ["pull", "--locked", "--quiet"]
            process.currentDirectoryURL = URL(fileURLWithPath: project.directory)
            process.environment = ProcessInfo.processInfo.environment.merging(
                ["HOME": project.directory, "SWIFT_IMAGES_CACHE": project.cache]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0...1_200_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Whatever the moment, what the cache holds is right.
            let verify = try images(["verify", "--json"], in: project)
            let report = try JSONDecoder().decode(VerifyReport.self, from: Data(verify.stdout.utf8))
            #expect(report.problems.allSatisfy { $0.kind == .missing }, "\(report.problems)")
        }
        let pull = try images(["pull", "--locked"], in: project)
        #expect(pull.status == 0, "\(pull.stderr)")
        let verify = try images(["verify"], in: project)
        #expect(verify.status == 0, "\(verify.stderr)")
        let stray = try project.strayFiles()
        #expect(stray.isEmpty, "\(stray)")
    }
}
