import Foundation
import PackagePlugin

/// `swift package images …`: runs the `images` tool on the package's own `images.json`, with
/// the arguments, the environment it needs and its exit status passed through unchanged.
@main
struct ImagesPlugin: CommandPlugin {
    /// What the tool reads from the environment besides its own `SWIFT_IMAGES_*` settings and the
    /// credential variables `images.json` names: where the cache and the engine are, Docker's
    /// credentials, proxies and certificates, and where CI wants its summary.
    static let forwardedEnvironment: Set<String> = [
        "HOME", "PATH", "TERM", "COLUMNS", "LANG", "LC_ALL", "XDG_CACHE_HOME", "DOCKER_HOST", "DOCKER_CONFIG",
        "DOCKER_CONTEXT", "DOCKER_TLS", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE",
        "SSL_CERT_DIR", "GITHUB_STEP_SUMMARY", "NO_COLOR",
    ]

    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let process = Process()
        process.executableURL = try context.tool(named: "images").url
        let arguments = Self.arguments(arguments, manifest: context.package.directoryURL.appending(path: "images.json").path)
        process.arguments = arguments
        process.currentDirectoryURL = context.package.directoryURL
        process.environment = Self.environment(
            ProcessInfo.processInfo.environment, manifest: Self.manifest(in: arguments), directory: context.package.directoryURL)
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

    /// The manifest the tool will read: the value of `--manifest`, if any.
    static func manifest(in arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument.hasPrefix("--manifest=") { return String(argument.dropFirst("--manifest=".count)) }
            if argument == "--manifest", index + 1 < arguments.count { return arguments[index + 1] }
        }
        return nil
    }

    /// The part of `environment` the tool gets: the fixed list, every `SWIFT_IMAGES_*` setting,
    /// and the variables the manifest's `registries` name for credentials (`usernameEnv`,
    /// `passwordEnv`, `tokenEnv`). Nothing else: a plugin's tool sees only what it needs.
    static func environment(_ environment: [String: String], manifest: String?, directory: URL) -> [String: String] {
        let credentials = manifest.map { credentialVariables(named: URL(filePath: $0, relativeTo: directory)) } ?? []
        return environment.filter { name, _ in
            forwardedEnvironment.contains(name) || name.hasPrefix("SWIFT_IMAGES_") || credentials.contains(name)
        }
    }

    /// The environment variable names in `registries.*.{usernameEnv,passwordEnv,tokenEnv}` of the
    /// manifest; none when it cannot be read (the tool then says what is wrong with it).
    static func credentialVariables(named manifest: URL) -> Set<String> {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: manifest.path),
            attributes[.type] as? FileAttributeType == .typeRegular, (attributes[.size] as? Int ?? .max) <= 4 << 20,
            let data = try? Data(contentsOf: manifest),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let registries = root["registries"] as? [String: Any]
        else { return [] }
        var names: Set<String> = []
        for case let entry as [String: Any] in registries.values {
            for key in ["usernameEnv", "passwordEnv", "tokenEnv"] {
                if let name = entry[key] as? String, !name.isEmpty,
                    name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
                {
                    names.insert(name)
                }
            }
        }
        return names
    }
}
