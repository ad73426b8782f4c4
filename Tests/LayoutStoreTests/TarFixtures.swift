import Foundation
import NIOCore
import OCIModel
import Testing

@testable import LayoutStore

/// A tar made by `Tar.header`, with the files given, and the end marker unless told otherwise.
func tar(_ files: [(String, Int)], end: Bool = true) -> [UInt8] {
    var bytes: [UInt8] = []
    for (name, size) in files {
        bytes += Tar.header(name: name, size: Int64(size))
        bytes += [UInt8](repeating: 0x41, count: size) + [UInt8](repeating: 0, count: Tar.padding(after: Int64(size)))
    }
    return end ? bytes + Tar.end : bytes
}

/// Compresses with the system's `gzip` or `zstd`.
func compress(_ bytes: [UInt8], _ tool: String = "gzip") throws -> [UInt8] {
    let path = temporaryDirectory() + "/data"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = tool == "gzip" ? ["gzip", "-n", path] : ["zstd", "-q", "--rm", path]
    try process.run()
    process.waitUntilExit()
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + (tool == "gzip" ? ".gz" : ".zst"))))
}
