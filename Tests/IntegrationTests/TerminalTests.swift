import Foundation
import Testing

/// What a person sees on a terminal: the command runs on a pseudo-terminal and its output goes
/// through a terminal emulator; the tests check the screens, never timings.
@Suite(.needsTestServices) struct TerminalTests {
    let services: TestServices
    init() throws { services = try TestServices.require() }

    static let barCharacters: Set<Character> = ["█", "░"]

    static func isBar(_ line: String) -> Bool { line.contains { barCharacters.contains($0) } }

    @Test func theProgressBarStaysUnderTheLinesAndNamesTheImageItWaitsFor() throws {
        // One image cached beforehand, one from the registry sending 4 MB/s: long enough for the
        // bar to be drawn several times.
        let repository = TestServices.uniqueRepository("terminal")
        try services.pushRandomImage("\(repository)/big:1", bytes: 2_000_000)
        let base = "\(services.registry)/test/base:1"
        let big = "\(services.slowRegistry)/\(repository)/big:1"
        let project = try Project(images: [base, big])
        #expect(try images(["pull", base], in: project).status == 0)

        let columns = 60
        let cold = try imagesOnTerminal(["pull"], in: project, columns: columns, scripts: services.scripts)
        #expect(cold.status == 0, "\(cold.final)")
        // The bar only ever shows on the last line: a bar left between lines, or one so wide that
        // it wrapped (clearing it would clear only its second row), shows on a line above.
        for screen in cold.screens {
            #expect(!screen.dropLast().contains(where: Self.isBar), "\(screen.joined(separator: "\n"))")
        }
        let bars = cold.screens.compactMap(\.last).filter(Self.isBar)
        #expect(!bars.isEmpty, "\(cold.screens)")
        // It says which image it waits for, its name losing its start to fit.
        #expect(bars.allSatisfy { $0.hasSuffix("/big:1") && $0.contains("…") && $0.count < columns }, "\(bars)")
        #expect(bars.allSatisfy { $0.contains("1/2 images") }, "\(bars)")
        // At the end: each image's line, the summary, and no bar.
        let final = cold.final.joined(separator: "\n")
        #expect(!cold.final.contains(where: Self.isBar), "\(final)")
        // (Lines longer than the terminal wrap: only their starts are checked.)
        #expect(cold.final.first?.hasPrefix("cached \(base)") == true, "\(final)")
        #expect(cold.final.contains { $0.hasPrefix("pulled \(big)") }, "\(final)")
        #expect(cold.final.last?.hasPrefix("2 images ready, 1 pulled, ") == true, "\(final)")

        // Warm, nothing to download: no bar at all, just the lines.
        let warm = try imagesOnTerminal(["pull", "--locked"], in: project, columns: 160, scripts: services.scripts)
        #expect(warm.status == 0)
        #expect(!warm.screens.joined().contains(where: Self.isBar), "\(warm.screens)")
        #expect(
            warm.final.map { String($0.prefix(7)) } == ["cached ", "cached ", "2 image"], "\(warm.final.joined(separator: "\n"))")
    }

    @Test func warningsAndErrorsGoAboveTheBarAndLeaveNoneBehind() throws {
        // The layer arrives with a byte changed, every time: the bar is drawn, a warning says the
        // layer is fetched again, the image fails; each line starts on a line of its own, in the
        // tool's own words.
        let repository = TestServices.uniqueRepository("terminal")
        try services.pushRandomImage("\(repository)/broken:1", bytes: 2_000_000)
        let proxy = try TestProxy(["fault", services.registry, "flip", "100"], scripts: services.scripts)
        let image = "\(proxy.address)/\(repository)/broken:1"
        let project = try Project(images: [image])
        let session = try imagesOnTerminal(["pull"], in: project, columns: 80, scripts: services.scripts)
        let final = session.final.joined(separator: "\n")
        #expect(session.status == 1)
        #expect(session.screens.contains { $0.last.map(Self.isBar) == true }, "\(session.screens)")
        #expect(!session.final.contains(where: Self.isBar), "\(final)")
        #expect(session.final.contains { $0.hasPrefix("warning: sha256:") }, "\(final)")
        #expect(session.final.contains { $0.hasPrefix("failed \(image)") }, "\(final)")
        #expect(session.final.contains { $0.hasPrefix("error: ") }, "\(final)")
        // On a terminal narrower than the bar's numbers: the bar is cut, nothing traps.
        let narrow = try imagesOnTerminal(["pull"], in: project, columns: 30, scripts: services.scripts)
        #expect(narrow.status == 1, "\(narrow.final.joined(separator: "\n"))")
        #expect(narrow.screens.contains { $0.last.map(Self.isBar) == true }, "\(narrow.screens)")
        #expect(!narrow.final.contains(where: Self.isBar), "\(narrow.final.joined(separator: "\n"))")
    }

    @Test func aPushShowsItsBarUnderTheLinesAndLeavesNoneBehind() throws {
        let repository = TestServices.uniqueRepository("terminal")
        try services.pushRandomImage("\(repository)/big:1", bytes: 3_000_000)
        let big = "\(services.registry)/\(repository)/big:1"
        let base = "\(services.registry)/test/base:1"
        let project = try Project(images: [base, big])
        #expect(try images(["pull"], in: project).status == 0)
        let destination = try TestRegistry(scripts: services.scripts)
        defer { destination.stop() }
        let push = try imagesOnTerminal(["push", "--to", destination.address], in: project, columns: 100, scripts: services.scripts)
        let final = push.final.joined(separator: "\n")
        #expect(push.status == 0, "\(final)")
        for screen in push.screens {
            #expect(!screen.dropLast().contains(where: Self.isBar), "\(screen.joined(separator: "\n"))")
        }
        #expect(!push.final.contains(where: Self.isBar), "\(final)")
        #expect(push.final.filter { $0.hasPrefix("pushed ") }.count == 2, "\(final)")
        #expect(push.final.last?.hasPrefix("2 images pushed to \(destination.address)") == true, "\(final)")
    }

    @Test func theReportFitsTheTerminalCuttingTheCommandsFirst() throws {
        let command =
            "apt-get update && apt-get install -y --no-install-recommends ca-certificates curl git libzstd-dev && rm -rf /var/lib/apt/lists/*"
        let repository = TestServices.uniqueRepository("terminal")
        try services.pushUmociInsertImage(to: "\(repository)/tools:1", createdBy: "/bin/sh -c " + command)
        let project = try Project(images: ["\(services.registry)/\(repository)/tools:1"])
        #expect(try images(["pull"], in: project).status == 0)

        for columns in [80, 100] {
            let report = try imagesOnTerminal(["report"], in: project, columns: columns, scripts: services.scripts)
            #expect(report.status == 0)
            let text = report.final.joined(separator: "\n")
            // Nothing wraps: the layer's line is whole, its command cut to what is left.
            #expect(report.final.allSatisfy { $0.count < columns }, "\(text)")
            let layer = try #require(report.final.first { $0.contains("RUN apt-get") }, "\(text)")
            #expect(layer.hasSuffix("…") && layer.count == columns - 1, "\(text)")
            #expect(report.final.contains { $0.hasPrefix("  unique") && $0.hasSuffix("not shared") }, "\(text)")
        }
        let wide = try imagesOnTerminal(["report"], in: project, columns: 250, scripts: services.scripts)
        #expect(wide.final.contains { $0.hasSuffix("RUN " + command) }, "\(wide.final.joined(separator: "\n"))")
        // Not a terminal (a file, a CI log): commands cut at 60 characters.
        let piped = try images(["report"], in: project)
        #expect(piped.stdout.contains("RUN " + command.prefix(55)), "\(piped.stdout)")
        #expect(!piped.stdout.contains(command.prefix(60)), "\(piped.stdout)")
    }
}
