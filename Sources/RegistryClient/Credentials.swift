import Foundation

/// A username and secret for one registry. Its `description` never shows the secret.
public struct Credentials: Hashable, Sendable, CustomStringConvertible {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The value of a Basic `Authorization` header.
    var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    public var description: String { "Credentials(username: \(username), password: <redacted>)" }
}

/// Where credentials come from. The Docker config file is one source; credential helpers and
/// environment variables plug in here too.
public protocol CredentialProvider: Sendable {
    /// The credentials for `registry` (as written in references: `docker.io`, `localhost:5000`).
    func credentials(for registry: String) throws -> Credentials?
}

/// Credentials from Docker's `config.json` (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`): the `auths` section, as written by `docker login`.
public struct DockerConfigCredentials: CredentialProvider {
    let entries: [String: Credentials]

    init(entries: [String: Credentials]) {
        self.entries = entries
    }

    /// Reads the config file; a missing file means no credentials.
    /// - Throws: ``CredentialsError`` when the file exists but cannot be used.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let directory =
            environment["DOCKER_CONFIG"]
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
        try self.init(path: directory + "/config.json")
    }

    /// Reads the config file at `path`; a missing file means no credentials.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            entries = [:]
            return
        }
        struct ConfigFile: Decodable {
            struct Auth: Decodable {
                var auth: String?
                var username: String?
                var password: String?
            }
            var auths: [String: Auth]?
        }
        let config: ConfigFile
        do {
            config = try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch {
            throw CredentialsError(path: path, reason: "it is not valid JSON of the expected shape")
        }
        var entries: [String: Credentials] = [:]
        for (key, auth) in config.auths ?? [:] {
            let registry = Self.normalizedRegistry(key)
            if let encoded = auth.auth, !encoded.isEmpty {
                guard let decoded = Data(base64Encoded: encoded).map({ String(decoding: $0, as: UTF8.self) }),
                    let colon = decoded.firstIndex(of: ":")
                else {
                    throw CredentialsError(path: path, reason: "auths[\"\(key)\"].auth is not base64 of USER:PASSWORD")
                }
                entries[registry] = Credentials(
                    username: String(decoded[..<colon]),
                    password: String(decoded[decoded.index(after: colon)...])
                )
            } else if let username = auth.username, let password = auth.password {
                entries[registry] = Credentials(username: username, password: password)
            }
        }
        self.entries = entries
    }

    public func credentials(for registry: String) -> Credentials? {
        entries[Self.normalizedRegistry(registry)]
    }

    /// `https://index.docker.io/v1/`, `index.docker.io`, `registry-1.docker.io` → `docker.io`;
    /// `https://ghcr.io/` → `ghcr.io`.
    static func normalizedRegistry(_ key: String) -> String {
        var host = Substring(key)
        for scheme in ["https://", "http://"] where host.hasPrefix(scheme) {
            host = host.dropFirst(scheme.count)
        }
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        switch host {
        case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com": return "docker.io"
        default: return String(host)
        }
    }
}

/// A credentials file that cannot be used. Never includes the secret.
public struct CredentialsError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot read credentials from \(path): \(reason)" }
}
