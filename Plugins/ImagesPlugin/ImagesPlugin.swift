import Foundation
import PackagePlugin

/// `swift package images …`: runs the `images` tool on the package's own `images.json`, with
/// the arguments, the environment it needs and its exit status passed through unchanged.
@main
struct ImagesPlugin: CommandPlugin {
    /// What the tool reads from the environment: where the cache and the Docker daemon are,
    /// registry credentials, proxies and certificates, and where CI wants its summary.
    static let forwardedEnvironment: Set<String> = [
        "HOME", "PATH", "TERM", "LANG", "LC_ALL", "XDG_CACHE_HOME", "SWIFT_IMAGES_CACHE", "DOCKER_HOST", "DOCKER_CONFIG",
        "DOCKER_CONTEXT", "DOCKER_TLS", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE",
        "SSL_CERT_DIR", "GITHUB_STEP_SUMMARY", "NO_COLOR",
    ]

    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let process = Process()
        process.executableURL = try context.tool(named: "images").url
        process.arguments = Self.arguments(arguments, manifest: context.package.directoryURL.appending(path: "images.json").path)
        process.currentDirectoryURL = context.package.directoryURL
        process.environment = ProcessInfo.processInfo.environment.filter { Self.forwardedEnvironment.contains($0.key) }
        // Output is inherited: progress reaches the terminal or the CI log as it happens.
        try process.run()
        process.waitUntilExit()
        // The tool has said what went wrong; its status is the command's.
        if process.terminationStatus != 0 { exit(process.terminationStatus) }
    }

    /// The arguments with `--manifest PACKAGE/images.json` after the subcommand, unless the user
    /// gave one or asked for help on the tool itself.
    static func arguments(_ arguments: [String], manifest: String) -> [String] {
        guard let subcommand = arguments.first, !subcommand.hasPrefix("-"),
            !arguments.contains(where: { $0 == "--manifest" || $0.hasPrefix("--manifest=") })
        else { return arguments }
        return [subcommand, "--manifest", manifest] + arguments.dropFirst()
    }
}
