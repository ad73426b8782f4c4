import Foundation
import ImagesKit
import OCIModel
import Synchronization

/// Where and how output goes: tables and live progress for people on a terminal, one line
/// per event in CI logs, JSON for machines.
enum Output {
    static var stderrIsTerminal: Bool { isTerminal(STDERR_FILENO) }

    static func isTerminal(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    enum Color: String {
        case green = "32"
        case red = "31"
        case dim = "2"
    }

    /// `text` in `color` when it goes to a terminal (stderr unless said), unless `NO_COLOR` is
    /// set to anything (https://no-color.org).
    static func paint(_ text: String, _ color: Color, on descriptor: Int32 = STDERR_FILENO) -> String {
        let useColor = isTerminal(descriptor) && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        return useColor ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// The width of the terminal on `descriptor`: `COLUMNS` when set (as shells and Python's
    /// `shutil` read it), else the terminal's own size; nil when it is not a terminal.
    static func terminalColumns(_ descriptor: Int32) -> Int? {
        guard isatty(descriptor) == 1 else { return nil }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Writes a line on stderr, above the progress bar when one shows.
    static func printError(_ text: String) {
        StatusLine.shared.write(above: text)
    }

    /// Writes `value` as pretty, key-sorted JSON on stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
    }

    /// Prints rows as aligned columns under a header.
    static func printTable(_ header: [String], _ rows: [[String]]) {
        for line in table(header, rows) { print(line) }
    }

    /// Rows as aligned columns under a header, the `rightAligned` columns (numbers) flush right.
    /// Cells may quote the cache, a registry or the daemon: their control characters are escaped.
    /// With a `width` (a terminal's), the last column's cells are cut (ending in `…`) so that no
    /// line is wider, as far as it can give room.
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = [], width: Int? = nil) -> [String] {
        var all = ([header] + rows).map { $0.map { $0.escapingControlCharacters() } }
        var widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        if let width, let last = widths.indices.last {
            let others = widths.dropLast().reduce(0) { $0 + $1 + 2 }
            let room = max(width - others, min(widths[last], 12))
            if widths[last] > room {
                for row in all.indices where all[row][last].count > room {
                    all[row][last] = String(all[row][last].prefix(room - 1)) + "…"
                }
                widths[last] = room
            }
        }
        return all.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                if rightAligned.contains(column) { return pad + cell }
                return column == row.count - 1 ? cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }

    /// A count and its noun: `1 problem`, `3 problems`.
    static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    /// Sizes in SI units, as Docker shows them (1 MB = 1,000,000 bytes).
    static func size(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: value < 10 ? "%.2f %@" : "%.1f %@", value, units[unit])
    }
}

/// The live line at the bottom of a terminal: the progress bar. Every other line written to
/// stderr goes above it (the bar is cleared, the line written, the bar drawn again), so that log
/// warnings, image lines and errors never land in the middle of it.
final class StatusLine: Sendable {
    static let shared = StatusLine()
    private let shown = Mutex<String?>(nil)

    private static let clearLine = "\r\u{1B}[K"

    /// Shows `text` as the live line, in place of the one before.
    func show(_ text: String) {
        shown.withLock { shown in
            FileHandle.standardError.write(Data((Self.clearLine + text).utf8))
            shown = text
        }
    }

    /// Clears the live line, if one shows.
    func clear() {
        shown.withLock { shown in
            if shown != nil { FileHandle.standardError.write(Data(Self.clearLine.utf8)) }
            shown = nil
        }
    }

    /// Writes `line` and a newline on stderr, above the live line.
    func write(above line: String) {
        shown.withLock { shown in
            guard let live = shown else { return FileHandle.standardError.write(Data((line + "\n").utf8)) }
            FileHandle.standardError.write(Data((Self.clearLine + line + "\n" + live).utf8))
        }
    }
}

/// Progress of a transfer on stderr: one line per finished image everywhere, and on a terminal a
/// live bar under them while bytes move (bytes, images done, rate, the image being worked on),
/// never as wide as the terminal, so that clearing it clears all of it.
final class TransferProgress: Sendable {
    private struct State {
        var images = 0
        var finished = 0
        var totalBytes: Int64 = 0
        var movedBytes: Int64 = 0
        /// Images that wait for bytes, in the order they were declared.
        var working: [String] = []
        var lastDraw = ContinuousClock.now - .seconds(1)
        var wantsBar: Bool { totalBytes > 0 && !working.isEmpty }
    }

    private let state = Mutex(State())
    private let live: Bool
    let quiet: Bool
    private let start = ContinuousClock.now

    init(quiet: Bool) {
        self.quiet = quiet
        self.live = Output.stderrIsTerminal
    }

    /// How many images and bytes the transfer is about, and the images that wait for bytes.
    func planned(images: Int, bytes: Int64, working: [String]) {
        state.withLock { state in
            state.images = images
            state.totalBytes = bytes
            state.working = working
        }
    }

    /// More bytes moved (negative: bytes to do again).
    func moved(_ bytes: Int64) {
        guard !quiet else { return }
        state.withLock { state in
            state.movedBytes += bytes
            if live, state.wantsBar, ContinuousClock.now - state.lastDraw > .milliseconds(100) { draw(&state) }
        }
    }

    /// A line above the bar.
    func note(_ line: String) {
        guard !quiet else { return }
        Output.printError(line)
    }

    /// The image `name` is done; `line` says how it went.
    func finished(_ name: String, _ line: String) {
        guard !quiet else { return }
        state.withLock { state in
            state.finished += 1
            if let position = state.working.firstIndex(of: name) { state.working.remove(at: position) }
            if !state.wantsBar { StatusLine.shared.clear() }
            Output.printError(line)
            if live, state.wantsBar { draw(&state) }
        }
    }

    /// Clears the bar, if it shows: the transfer is over, or failed.
    func end() {
        StatusLine.shared.clear()
    }

    private func draw(_ state: inout State) {
        state.lastDraw = .now
        let elapsed = max((ContinuousClock.now - start) / .seconds(1), 0.001)
        let fraction = Double(state.movedBytes) / Double(state.totalBytes)
        let width = 12
        let filled = min(max(Int(fraction * Double(width)), 0), width)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        var text = "\(bar) \(Output.size(state.movedBytes)) / \(Output.size(state.totalBytes))"
        text += "  \(state.finished)/\(state.images) images"
        let rate = "  \(Output.size(Int64(Double(state.movedBytes) / elapsed)))/s"
        // A line as wide as the terminal would wrap, and clearing it would clear only its end.
        // The image's name gets the room left, losing its start (the registry) first; on a
        // narrow terminal the rate goes first.
        let columns = Output.terminalColumns(STDERR_FILENO) ?? 80
        var name = state.working[0].escapingControlCharacters()
        if state.working.count > 1 { name += " +\(state.working.count - 1)" }
        if columns - 1 - text.count - 2 >= min(name.count, 20) + rate.count { text += rate }
        let room = columns - 1 - text.count - 2
        if room >= 12 {
            if name.count > room { name = "…" + name.suffix(room - 1) }
            text += "  " + name
        }
        StatusLine.shared.show(String(text.prefix(columns - 1)))
    }
}

/// Renders pull progress: the lock's changes, the bar, a line per image.
struct PullProgress: Sendable {
    let transfer: TransferProgress

    init(quiet: Bool) { transfer = TransferProgress(quiet: quiet) }

    func handle(_ event: PullEvent) {
        switch event {
        case let .locked(changes):
            for change in changes { transfer.note(describe(change)) }
        case let .planned(images, _, bytes, downloading):
            transfer.planned(images: images, bytes: bytes, working: downloading)
        case let .received(bytes):
            transfer.moved(bytes)
        case let .finished(image):
            transfer.finished(image.reference, line(for: image))
        }
    }

    private func line(for image: PulledImage) -> String {
        switch image.status {
        case .pulled:
            "\(Output.paint("pulled", .green)) \(image.reference) \(image.platform) \(image.digest.short) (\(Output.size(image.fetchedBytes)) fetched of \(Output.size(image.size)))"
        case .cached:
            "\(Output.paint("cached", .dim)) \(image.reference) \(image.platform) \(image.digest.short) (\(Output.size(image.size)))"
        case .failed:
            "\(Output.paint("failed", .red)) \(image.reference) \(image.platform): \(image.error ?? "unknown error")"
        }
    }
}

extension String {
    /// The string without the spaces at its end (a table row's padding).
    fileprivate func trimmingTrailingSpaces() -> String {
        String(self[..<(lastIndex { $0 != " " }.map(index(after:)) ?? startIndex)])
    }
}
