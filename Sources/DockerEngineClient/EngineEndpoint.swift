import Foundation
import struct OCIModel.SHA256

/// Where the engine listens and how to reach it, found the way Docker's CLI finds it
/// (docs.docker.com/engine/manage-resources/contexts):
///
/// 1. `DOCKER_HOST` (`unix://PATH` or `tcp://HOST:PORT`), with `DOCKER_TLS_VERIFY` (or
///    `DOCKER_TLS`) and `DOCKER_CERT_PATH` (`ca.pem`, `cert.pem`, `key.pem`; default
///    `$DOCKER_CONFIG`, else `~/.docker`);
/// 2. else the context named by `DOCKER_CONTEXT`, else by `currentContext` in
///    `$DOCKER_CONFIG/config.json`: its endpoint from the context store under
///    `$DOCKER_CONFIG/contexts/meta/SHA256(NAME)/meta.json`, its TLS files under
///    `contexts/tls/SHA256(NAME)/docker/`; the context `default` is step 3;
/// 3. else `unix:///var/run/docker.sock`.
///
/// TLS always verifies the daemon's certificate (against `ca.pem` when there is one, else the
/// system's roots): `DOCKER_TLS` without `_VERIFY`, which makes Docker's CLI skip the check, and a
/// context that says `SkipTLSVerify` are refused rather than followed.
public struct EngineEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// `unix:///path/docker.sock` or `tcp://host:port`.
    public var host: String
    /// The files for TLS, when the daemon is reached over TLS.
    public var tls: TLSFiles?
    /// Where the address came from, for messages: `DOCKER_HOST`, `context colima (DOCKER_CONTEXT)`.
    public var origin: String

    /// PEM files: the CA that signed the daemon's certificate, and the client's certificate and key.
    public struct TLSFiles: Sendable, Equatable {
        public var ca: String?
        public var certificate: String?
        public var key: String?
    }

    public static let defaultHost = "unix:///var/run/docker.sock"
    static let defaultOrigin = "the default socket"

    /// Whether nothing named the engine, and the default socket was tried.
    public var isDefault: Bool { origin == Self.defaultOrigin }

    public init(host: String, tls: TLSFiles? = nil, origin: String) {
        self.host = host
        self.tls = tls
        self.origin = origin
    }

    /// `tcp://127.0.0.1:2376 (DOCKER_HOST, TLS)`.
    public var description: String { "\(host) (\(origin)\(tls == nil ? "" : ", TLS"))" }

    /// The endpoint the environment and Docker's configuration name.
    /// - Throws: ``EngineError/unusableEndpoint(origin:reason:)`` for a context that does not
    ///   exist or cannot be read, TLS settings that cannot be used, or an unsupported address.
    public static func resolve(environment: [String: String]) throws(EngineError) -> EngineEndpoint {
        let home = nonEmpty(environment["HOME"]) ?? NSHomeDirectory()
        let configDirectory = nonEmpty(environment["DOCKER_CONFIG"]) ?? home + "/.docker"
        if let host = nonEmpty(environment["DOCKER_HOST"]) {
            let verify = nonEmpty(environment["DOCKER_TLS_VERIFY"]) != nil
            if nonEmpty(environment["DOCKER_TLS"]) != nil, !verify {
                throw .unusableEndpoint(
                    origin: "DOCKER_TLS",
                    reason: "it asks for TLS without verifying the daemon's certificate, which this tool does not do; "
                        + "set DOCKER_TLS_VERIFY=1 (and DOCKER_CERT_PATH to the directory with ca.pem)")
            }
            var tls: TLSFiles?
            if verify {
                let directory = nonEmpty(environment["DOCKER_CERT_PATH"]) ?? configDirectory
                tls = try tlsFiles(in: directory, origin: "DOCKER_CERT_PATH")
                guard tls?.ca != nil else {
                    throw .unusableEndpoint(
                        origin: "DOCKER_TLS_VERIFY", reason: "there is no ca.pem in \(directory) to verify the daemon with")
                }
            }
            return try checked(EngineEndpoint(host: host, tls: tls, origin: "DOCKER_HOST"))
        }
        let name: String
        let origin: String
        if let fromEnvironment = nonEmpty(environment["DOCKER_CONTEXT"]) {
            (name, origin) = (fromEnvironment, "DOCKER_CONTEXT")
        } else if let current = try currentContext(configDirectory: configDirectory) {
            (name, origin) = (current, "currentContext in \(configDirectory)/config.json")
        } else {
            return EngineEndpoint(host: defaultHost, origin: defaultOrigin)
        }
        guard name != "default" else { return EngineEndpoint(host: defaultHost, origin: "context default (\(origin))") }
        return try context(name, origin: origin, configDirectory: configDirectory)
    }

    /// An address given explicitly (a test, a caller that knows): checked, no TLS.
    static func checked(_ endpoint: EngineEndpoint) throws(EngineError) -> EngineEndpoint {
        let host = endpoint.host
        if host.hasPrefix("unix://"), host.count > "unix://".count { return endpoint }
        if host.hasPrefix("tcp://"), let port = host.split(separator: ":").last.flatMap({ Int($0) }), (1...65535).contains(port) {
            return endpoint
        }
        throw .unsupportedHost(host: host, origin: endpoint.origin)
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// `currentContext` from Docker's `config.json`, if it names one.
    private static func currentContext(configDirectory: String) throws(EngineError) -> String? {
        let path = configDirectory + "/config.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        struct Config: Decodable { var currentContext: String? }
        let bytes = try read(path, origin: "DOCKER_CONFIG")
        do {
            return nonEmpty(try JSONDecoder().decode(Config.self, from: Data(bytes)).currentContext)
        } catch {
            throw .unusableEndpoint(origin: path, reason: "it is not valid JSON: \(error)")
        }
    }

    /// A context from Docker's context store.
    private static func context(_ name: String, origin: String, configDirectory: String) throws(EngineError) -> EngineEndpoint {
        let id = SHA256.digest(of: name.utf8).encoded
        let meta = "\(configDirectory)/contexts/meta/\(id)/meta.json"
        let described = "context \(name) (\(origin))"
        guard FileManager.default.fileExists(atPath: meta) else {
            throw .unusableEndpoint(
                origin: described,
                reason: "there is no such context in \(configDirectory)/contexts ('docker context ls' lists them)")
        }
        struct Meta: Decodable {
            struct Endpoint: Decodable {
                var Host: String?
                var SkipTLSVerify: Bool?
            }
            var Endpoints: [String: Endpoint]?
        }
        let decoded: Meta
        do {
            decoded = try JSONDecoder().decode(Meta.self, from: Data(try read(meta, origin: described)))
        } catch let error as EngineError {
            throw error
        } catch {
            throw .unusableEndpoint(origin: meta, reason: "it is not a context's metadata: \(error)")
        }
        guard let endpoint = decoded.Endpoints?["docker"], let host = nonEmpty(endpoint.Host) else {
            throw .unusableEndpoint(origin: described, reason: "it has no Docker endpoint (\(meta))")
        }
        guard endpoint.SkipTLSVerify != true else {
            throw .unusableEndpoint(
                origin: described,
                reason: "it skips verifying the daemon's TLS certificate, which this tool does not do; "
                    + "give it the daemon's CA ('docker context update \(name) --docker host=\(host),ca=ca.pem')")
        }
        let files = try tlsFiles(in: "\(configDirectory)/contexts/tls/\(id)/docker", origin: described)
        let tls = files == TLSFiles() ? nil : files
        return try checked(EngineEndpoint(host: host, tls: host.hasPrefix("tcp://") ? tls : nil, origin: described))
    }

    /// The TLS files present in `directory`; a client certificate needs its key and the other way round.
    private static func tlsFiles(in directory: String, origin: String) throws(EngineError) -> TLSFiles {
        func present(_ name: String) -> String? {
            let path = directory + "/" + name
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        let files = TLSFiles(ca: present("ca.pem"), certificate: present("cert.pem"), key: present("key.pem"))
        guard (files.certificate == nil) == (files.key == nil) else {
            throw .unusableEndpoint(
                origin: origin, reason: "\(directory) has \(files.key == nil ? "cert.pem without key.pem" : "key.pem without cert.pem")")
        }
        return files
    }

    private static func read(_ path: String, origin: String) throws(EngineError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .unusableEndpoint(origin: origin, reason: "\(path) cannot be read")
        }
        defer { try? handle.close() }
        let limit = 1024 * 1024
        guard let data = try? handle.read(upToCount: limit + 1), data.count <= limit else {
            throw .unusableEndpoint(origin: origin, reason: "\(path) cannot be read, or is larger than 1 MiB")
        }
        return Array(data)
    }
}
