import Foundation
import ImagesTesting
import Service
import Testing

/// The store against a real Redis server, in a container started from the image that
/// images.json declares and images.lock.json pins: `.images` makes sure it is in the engine
/// (from the cache, with no request at all when the cache has it) before the suite runs.
@Suite(.images("redis:7-alpine"))
struct KeyValueStoreTests {
    @Test func keepsWhatItIsGivenAndKnowsWhatItWasNot() async throws {
        let image = try #require(Images.prepared("redis:7-alpine")?.name)
        try await withServer(from: image) { socketPath in
            let store = try KeyValueStore(socketPath: socketPath)
            try store.set("greeting", "hello from a container")
            #expect(try store.get("greeting") == "hello from a container")
            #expect(try store.get("nothing here") == nil)
        }
    }
}

/// Runs a Redis server from `image` (`docker run`, without a network: it listens on a Unix
/// socket in a directory shared with the container), gives `body` the socket's path once the
/// server answers, and removes the container whatever happens.
func withServer(from image: String, _ body: (String) async throws -> Void) async throws {
    let directory = try makeSocketDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let container = try docker(
        "run", "--detach", "--rm", "--network", "none", "--volume", "\(directory):/run/db", image,
        "redis-server", "--port", "0", "--unixsocket", "/run/db/redis.sock", "--unixsocketperm", "777",
        "--save", "", "--appendonly", "no")
    defer { _ = try? docker("rm", "--force", container) }
    let socketPath = directory + "/redis.sock"
    let deadline = ContinuousClock.now + .seconds(30)
    while (try? KeyValueStore(socketPath: socketPath)) == nil {
        guard ContinuousClock.now < deadline else {
            Issue.record("the server did not listen within 30 s: \((try? docker("logs", container)) ?? "")")
            return
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    try await body(socketPath)
}

/// A short directory the container may write to (a Unix socket's path has at most 107 bytes).
func makeSocketDirectory() throws -> String {
    var template = Array("/tmp/redis-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
    let path = String(cString: made)
    try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: path)
    return path
}

/// Runs the Docker CLI (which finds the engine as the `.images` trait does: `DOCKER_HOST`,
/// `DOCKER_CONTEXT`, the default socket) and returns what it printed; throws when it fails.
@discardableResult
func docker(_ arguments: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["docker"] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw DockerFailed(arguments: arguments, status: process.terminationStatus)
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

struct DockerFailed: Error, CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var description: String { "docker \(arguments.joined(separator: " ")) exited with \(status)" }
}
