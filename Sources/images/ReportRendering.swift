import ImagesKit
import OCIModel

/// The size report as text: a table for people, Markdown for CI summaries.
enum ReportRendering {
    /// Per image: its layers (short digest, a bar scaled to the largest layer, the three sizes,
    /// how many images share it, the command that made it) and totals; then the set. With a
    /// `width` (a terminal's), the commands are cut to fit it; else to 60 characters.
    static func table(_ report: SizeReport, width: Int?) -> String {
        let largest = report.images.flatMap(\.layers).map(\.compressed).max() ?? 0
        var text = ""
        for image in report.images {
            text += "\(image.reference) \(image.platform) \(image.digest.short)"
            text += image.source == .remote ? " (not cached: compressed sizes from the manifest)\n" : "\n"
            let rows = image.layers.map { layer in
                [
                    "  " + layer.digest.short, bar(layer.compressed, of: largest), Output.size(layer.compressed),
                    size(layer.tar), size(layer.unpacked), "\(layer.sharedBy)", command(layer.createdBy, cut: width == nil),
                ]
            }
            let totals = [
                ["  total", "", Output.size(image.total.compressed), size(image.total.tar), size(image.total.unpacked), "", ""],
                [
                    "  unique", "", Output.size(image.unique.compressed), size(image.unique.tar), size(image.unique.unpacked), "",
                    "not shared",
                ],
            ]
            text +=
                Output.table(
                    ["  LAYER", "", "COMPRESSED", "TAR", "UNPACKED", "SHARED", "CREATED BY"], rows + totals,
                    rightAligned: [2, 3, 4, 5], width: width.map { $0 - 1 }
                ).joined(separator: "\n") + "\n\n"
        }
        text += "\(Output.counted(report.images.count, "image")), \(Output.counted(report.unique.layers, "distinct layer"))\n"
        text +=
            Output.table(
                ["", "COMPRESSED", "TAR", "UNPACKED"],
                [
                    [
                        "images added up", Output.size(report.total.compressed), size(report.total.tar),
                        size(report.total.unpacked),
                    ],
                    [
                        "each layer once", Output.size(report.unique.compressed), size(report.unique.tar),
                        size(report.unique.unpacked),
                    ],
                    [
                        "saved by sharing", Output.size(report.saved.compressed), size(report.saved.tar),
                        size(report.saved.unpacked),
                    ],
                ],
                rightAligned: [1, 2, 3]
            ).joined(separator: "\n") + "\n"
        return text
    }

    /// A GitHub-flavoured summary: a table of images, the set's totals, the layers of each image
    /// in a folded section, and the budgets when checked.
    static func markdown(_ report: SizeReport, checks: [BudgetCheck]?) -> String {
        var text = "### Image sizes\n\n"
        text += "| image | platform | layers | compressed | tar | unpacked | unique (compressed) |\n"
        text += "|---|---|--:|--:|--:|--:|--:|\n"
        for image in report.images {
            text += "| `\(image.reference)` | \(image.platform) | \(image.total.layers) | \(Output.size(image.total.compressed))"
            text += " | \(size(image.total.tar)) | \(size(image.total.unpacked)) | \(Output.size(image.unique.compressed)) |\n"
        }
        text += "| **each layer once** | | \(report.unique.layers) | **\(Output.size(report.unique.compressed))**"
        text += " | \(size(report.unique.tar)) | \(size(report.unique.unpacked)) | |\n\n"
        text += "Sharing layers saves \(Output.size(report.saved.compressed)) compressed"
        text += " (\(size(report.saved.unpacked)) unpacked).\n\n"
        for image in report.images {
            text += "<details><summary>Layers of <code>\(image.reference)</code> \(image.platform)</summary>\n\n"
            text += "| layer | compressed | tar | unpacked | shared by | created by |\n|---|--:|--:|--:|--:|---|\n"
            for layer in image.layers {
                let created = command(layer.createdBy, cut: true).replacingOccurrences(of: "|", with: "\\|")
                text +=
                    "| `\(layer.digest.short)` | \(Output.size(layer.compressed)) | \(size(layer.tar)) | \(size(layer.unpacked))"
                text += " | \(layer.sharedBy) | \(created.isEmpty ? "" : "`\(created)`") |\n"
            }
            text += "\n</details>\n\n"
        }
        if let checks, !checks.isEmpty {
            text += "#### Budgets\n\n| | budget | limit | actual | headroom |\n|---|---|--:|--:|--:|\n"
            for check in checks {
                let status = check.exceeded ? "❌" : check.actual == nil ? "❔" : "✅"
                text += "| \(status) \(check.subject) | \(check.budget) | \(amount(check.limit, check)) "
                text += "| \(check.actual.map { amount($0, check) } ?? "unknown") | \(headroom(check)) |\n"
            }
            text += "\n"
        }
        return text
    }

    /// `ok  postgres:16 linux/amd64 compressed 151 MB of 400 MB (249 MB left)`, or `over` and by
    /// how much; colored when `descriptor` is a terminal.
    static func line(for check: BudgetCheck, on descriptor: Int32) -> String {
        let limit = amount(check.limit, check)
        guard let actual = check.actual else {
            return "\(Output.paint("unknown", .dim, on: descriptor)) \(check.subject) \(check.budget): limit \(limit), size unknown"
        }
        if check.exceeded {
            return
                "\(Output.paint("over", .red, on: descriptor)) \(check.subject) \(check.budget) \(amount(actual, check)) of \(limit) (\(headroom(check)))"
        }
        return
            "\(Output.paint("ok", .green, on: descriptor)) \(check.subject) \(check.budget) \(amount(actual, check)) of \(limit) (\(headroom(check)))"
    }

    private static func headroom(_ check: BudgetCheck) -> String {
        guard let headroom = check.headroom else { return "" }
        return headroom < 0 ? "\(amount(-headroom, check)) over" : "\(amount(headroom, check)) left"
    }

    private static func amount(_ value: Int64, _ check: BudgetCheck) -> String {
        check.budget == "layers" ? "\(value)" : Output.size(value)
    }

    private static func size(_ bytes: Int64?) -> String { bytes.map(Output.size) ?? "?" }

    /// The command as `docker history` shows it, without the shell prefix Docker adds, on one
    /// line; `cut` to 60 characters.
    private static func command(_ createdBy: String?, cut: Bool) -> String {
        guard var command = createdBy else { return "" }
        for prefix in ["/bin/sh -c #(nop) ", "/bin/sh -c "] where command.hasPrefix(prefix) {
            command = (prefix.hasSuffix("(nop) ") ? "" : "RUN ") + command.dropFirst(prefix.count)
            break
        }
        let line = command.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
            .escapingControlCharacters()
        return cut && line.count > 60 ? String(line.prefix(59)) + "…" : line
    }

    /// Eight eighths-of-a-block cells, scaled to the largest layer.
    private static func bar(_ value: Int64, of largest: Int64) -> String {
        guard largest > 0 else { return "" }
        let eighths = Int((Double(value) / Double(largest) * 64).rounded())
        let blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        let text = String(repeating: "█", count: eighths / 8) + blocks[eighths % 8]
        return text.isEmpty && value > 0 ? "▏" : text
    }
}
