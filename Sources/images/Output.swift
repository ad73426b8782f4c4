import Foundation
import ImagesKit
import OCIModel
import Synchronization

/// Where and how output goes: tables and live progress for people on a terminal, one line
/// per event in CI logs, JSON for machines.
enum Output {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" }
    /// Color on a terminal, unless `NO_COLOR` is set to anything (https://no-color.org).
    static var useColor: Bool { stderrIsTerminal && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty }

    enum Color: String {
        case green = "32"
        case red = "31"
        case dim = "2"
    }

    /// `text` in `color` when color is on.
    static func paint(_ text: String, _ color: Color) -> String {
        useColor ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
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
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        let all = ([header] + rows).map { $0.map { $0.escapingControlCharacters() } }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
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

/// Progress of a transfer on stderr: a live bar (bytes, rate, images done) on a terminal, and
/// one line per finished image everywhere.
final class TransferProgress: Sendable {
    private struct State {
        var images = 0
        var finished = 0
        var totalBytes: Int64 = 0
        var movedBytes: Int64 = 0
        var lastDraw = ContinuousClock.now - .seconds(1)
        var drawn = false
    }

    private let state = Mutex(State())
    private let live: Bool
    let quiet: Bool
    private let start = ContinuousClock.now

    init(quiet: Bool) {
        self.quiet = quiet
        self.live = Output.stderrIsTerminal
    }

    /// How many images and bytes the transfer is about.
    func planned(images: Int, bytes: Int64) {
        state.withLock { state in
            state.images = images
            state.totalBytes = bytes
        }
    }

    /// More bytes moved (negative: bytes to do again).
    func moved(_ bytes: Int64) {
        guard !quiet else { return }
        state.withLock { state in
            state.movedBytes += bytes
            if live, ContinuousClock.now - state.lastDraw > .milliseconds(100) {
                state.lastDraw = .now
                draw(state)
                state.drawn = true
            }
        }
    }

    /// A line above the bar.
    func note(_ line: String) {
        guard !quiet else { return }
        state.withLock { state in
            if state.drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            Output.printError(line)
            if live, state.drawn, state.finished < state.images { draw(state) }
        }
    }

    /// One image is done; `line` says how it went.
    func finished(_ line: String) {
        guard !quiet else { return }
        state.withLock { state in
            state.finished += 1
            if state.drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            Output.printError(line)
            if live, state.finished < state.images { draw(state) }
        }
    }

    private func draw(_ state: State) {
        let elapsed = max((ContinuousClock.now - start) / .seconds(1), 0.001)
        let fraction = state.totalBytes > 0 ? Double(state.movedBytes) / Double(state.totalBytes) : 1
        let width = 24
        let filled = min(max(Int(fraction * Double(width)), 0), width)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text =
            "\r\u{1B}[K\(bar) \(Output.size(state.movedBytes)) / \(Output.size(state.totalBytes))  \(Output.size(Int64(Double(state.movedBytes) / elapsed)))/s  \(state.finished)/\(state.images) images"
        FileHandle.standardError.write(Data(text.utf8))
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
        case let .planned(images, _, bytes):
            transfer.planned(images: images, bytes: bytes)
        case let .received(bytes):
            transfer.moved(bytes)
        case let .finished(image):
            transfer.finished(line(for: image))
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
