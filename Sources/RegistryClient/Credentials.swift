import Foundation
import Synchronization

/// What a client proves itself with to one registry: a username and password, or an identity
/// token (an OAuth2 refresh token, as `docker login` stores for some registries). Its
/// `description` never shows a secret.
public struct Credentials: Hashable, Sendable, CustomStringConvertible {
    public var username: String
    public var password: String
    /// Exchanged for access tokens with a `POST` to the token realm; there is no Basic with it.
    public var identityToken: String?

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public init(identityToken: String) {
        self.username = "<token>"
        self.password = ""
        self.identityToken = identityToken
    }

    /// The value of a Basic `Authorization` header; nil for an identity token.
    var basicAuthorization: String? {
        guard identityToken == nil else { return nil }
        return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    public var description: String {
        identityToken == nil
            ? "Credentials(username: \(username), password: <redacted>)" : "Credentials(identity token: <redacted>)"
    }
}

/// Where credentials come from: Docker's config file and its credential helpers, environment
/// variables named in `images.json`, or several of these in order.
public protocol CredentialProvider: Sendable {
    /// The credentials for `registry` (as written in references: `docker.io`, `localhost:5000`).
    func credentials(for registry: String) throws -> Credentials?
}

/// Asks each provider in turn; the first with credentials wins.
public struct CredentialChain: CredentialProvider {
    let providers: [any CredentialProvider]

    public init(_ providers: [any CredentialProvider]) {
        self.providers = providers
    }

    public func credentials(for registry: String) throws -> Credentials? {
        for provider in providers {
            if let credentials = try provider.credentials(for: registry) { return credentials }
        }
        return nil
    }
}

/// Credentials from Docker's `config.json` (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`), in the order Docker uses them: the registry's `credHelpers` entry,
/// else the `credsStore`, else the `auths` section (`auth` or `identitytoken`).
public final class DockerConfigCredentials: CredentialProvider {
    let entries: [String: Credentials]
    let helpers: [String: String]
    let store: String?
    private let environment: [String: String]
    /// What helpers answered, so that each is asked once per registry and run.
    private let asked = Mutex<[String: Credentials?]>([:])

    init(entries: [String: Credentials], helpers: [String: String] = [:], store: String? = nil) {
        self.entries = entries
        self.helpers = helpers
        self.store = store
        self.environment = [:]
    }

    /// Reads the config file; a missing file means no credentials.
    /// - Parameter environment: where `DOCKER_CONFIG`, `HOME` and the `PATH` of helpers are read.
    /// - Throws: ``CredentialsError`` when the file exists but cannot be used.
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let directory =
            environment["DOCKER_CONFIG"]
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
        try self.init(path: directory + "/config.json", environment: environment)
    }

    /// Reads the config file at `path`; a missing file means no credentials.
    public init(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.environment = environment
        guard let data = FileManager.default.contents(atPath: path) else {
            (entries, helpers, store) = ([:], [:], nil)
            return
        }
        struct ConfigFile: Decodable {
            struct Auth: Decodable {
                var auth: String?
                var username: String?
                var password: String?
                var identitytoken: String?
            }
            var auths: [String: Auth]?
            var credHelpers: [String: String]?
            var credsStore: String?
        }
        let config: ConfigFile
        do {
            config = try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch {
            throw CredentialsError(source: path, reason: "it is not valid JSON of the expected shape")
        }
        var entries: [String: Credentials] = [:]
        for (key, auth) in config.auths ?? [:] {
            let registry = Self.normalizedRegistry(key)
            if let token = auth.identitytoken, !token.isEmpty {
                entries[registry] = Credentials(identityToken: token)
            } else if let encoded = auth.auth, !encoded.isEmpty {
                guard let decoded = Data(base64Encoded: encoded).map({ String(decoding: $0, as: UTF8.self) }),
                    let colon = decoded.firstIndex(of: ":")
                else {
                    throw CredentialsError(source: path, reason: "auths[\"\(key)\"].auth is not base64 of USER:PASSWORD")
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
        self.helpers = Dictionary(
            (config.credHelpers ?? [:]).map { (Self.normalizedRegistry($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.store = config.credsStore.flatMap { $0.isEmpty ? nil : $0 }
    }

    public func credentials(for registry: String) throws -> Credentials? {
        let key = Self.normalizedRegistry(registry)
        if let helper = helpers[key] ?? store {
            if let answered = asked.withLock({ $0[key] }) { return answered ?? entries[key] }
            let found = try CredentialHelper(name: helper, environment: environment).get(
                serverURL: key == "docker.io" ? "https://index.docker.io/v1/" : key)
            asked.withLock { $0[key] = .some(found) }
            if let found { return found }
        }
        return entries[key]
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

/// A Docker credential helper, `docker-credential-NAME` on `PATH`, asked with its `get`
/// command: the server URL on stdin, `{"ServerURL", "Username", "Secret"}` on stdout; the
/// username `<token>` means the secret is an identity token.
struct CredentialHelper {
    let name: String
    let environment: [String: String]

    var program: String { "docker-credential-" + name }

    /// The helper's credentials for `serverURL`, or nil when it has none.
    /// - Throws: ``CredentialsError`` when the helper is missing or fails; its output, which
    ///   may hold a secret, is never quoted.
    func get(serverURL: String) throws -> Credentials? {
        guard let executable = Self.find(program, path: environment["PATH"] ?? "/usr/bin:/bin") else {
            throw CredentialsError(source: program, reason: "the credential helper is not on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        process.environment = environment
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CredentialsError(source: executable, reason: "cannot run it: \(error)")
        }
        // A helper may exit without reading its input: then the write fails, and its status tells.
        try? input.fileHandleForWriting.write(contentsOf: Data(serverURL.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            // The helpers' way of saying they have nothing for this server.
            if String(decoding: data, as: UTF8.self).localizedCaseInsensitiveContains("credentials not found") { return nil }
            throw CredentialsError(
                source: executable, reason: "'get' for \(serverURL) exited with status \(process.terminationStatus)")
        }
        struct Answer: Decodable {
            var Username: String?
            var Secret: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data), let secret = answer.Secret, !secret.isEmpty
        else {
            throw CredentialsError(source: executable, reason: "'get' for \(serverURL) did not answer with a Username and Secret")
        }
        if answer.Username == "<token>" { return Credentials(identityToken: secret) }
        return Credentials(username: answer.Username ?? "", password: secret)
    }

    static func find(_ program: String, path: String) -> String? {
        path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Credentials from environment variables that `images.json` names for a registry (for CI
/// secrets): a username and a password variable, or a token variable (an identity token). A
/// variable that is unset or empty gives nothing, and the next source is asked.
public struct EnvironmentCredentials: CredentialProvider {
    /// Which variables hold what, for one registry.
    public enum Variables: Hashable, Sendable {
        case usernameAndPassword(username: String, password: String)
        case identityToken(String)
    }

    let variables: [String: Variables]
    let environment: [String: String]

    /// - Parameter variables: per registry, as written in references.
    public init(_ variables: [String: Variables], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.variables = Dictionary(
            variables.map { (DockerConfigCredentials.normalizedRegistry($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.environment = environment
    }

    public func credentials(for registry: String) -> Credentials? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        switch variables[DockerConfigCredentials.normalizedRegistry(registry)] {
        case let .usernameAndPassword(username, password):
            guard let user = value(username), let secret = value(password) else { return nil }
            return Credentials(username: user, password: secret)
        case let .identityToken(name):
            return value(name).map(Credentials.init(identityToken:))
        case nil:
            return nil
        }
    }
}

/// A source of credentials that cannot be used. Never includes a secret.
public struct CredentialsError: Error, Sendable, CustomStringConvertible {
    /// The file or helper.
    public let source: String
    public let reason: String
    public var description: String { "cannot read credentials from \(source): \(reason)" }
}
