import Foundation

/// The one place that decides which URLs the client may send a request to, whoever named them:
/// the registry's own endpoints, mirrors, token realms, blob redirects and upload locations.
///
/// - only `http` and `https` (any case): never `http+unix` (which `HTTPClient` reaches a unix socket by) or `https+unix`,
///   which would reach a local socket such as the Docker daemon's;
/// - plain `http` only to a loopback host (`localhost`, literal `127.0.0.0/8`, `[::1]`), to a
///   host marked insecure, or on behalf of a registry marked insecure;
/// - this machine (loopback) only on behalf of a registry on this machine or marked insecure,
///   so that a remote registry cannot aim requests at local services;
/// - no credentials in the URL itself.
struct URLPolicy: Sendable {
    /// Registries marked `insecure` in `images.json`.
    let insecureRegistries: Set<String>

    /// Whether plain HTTP may be used with `registry`: marked insecure, or on loopback.
    func allowsPlainHTTP(_ registry: String) -> Bool {
        insecureRegistries.contains(registry) || isLoopback(registry)
    }

    /// Checks a URL before a request for `registry` goes to it.
    /// - Throws: ``RegistryError/refusedURL(registry:url:reason:)`` saying why not.
    func check(_ url: String, for registry: String) throws(RegistryError) {
        func refuse(_ reason: String) -> RegistryError {
            .refusedURL(registry: registry, url: url.escapingControlCharacters(), reason: reason)
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw refuse("it is not a URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw refuse("only http and https are followed, not '\(scheme.escapingControlCharacters())'")
        }
        guard let host = components.host, !host.isEmpty else { throw refuse("it names no host") }
        guard components.user == nil, components.password == nil else { throw refuse("it carries credentials") }
        let authority = components.port.map { "\(components.percentEncodedHost ?? host):\($0)" } ?? host
        let trusted = allowsPlainHTTP(registry)
        if isLoopback(authority), !trusted {
            throw refuse("a registry that is not on this machine may not send requests to this machine")
        }
        if scheme == "http" {
            guard isLoopback(authority) || insecureRegistries.contains(registry) || insecureRegistries.contains(authority)
            else {
                throw refuse(
                    "plain HTTP to a host that is not loopback; mark \(registry) insecure in images.json to allow it")
            }
        }
    }
}

/// Whether a host (with optional port) is a loopback address: `localhost`, a literal IPv4
/// address in `127.0.0.0/8`, or `[::1]`. A name that merely starts with `127.` is not.
func isLoopback(_ authority: String) -> Bool {
    var host = Substring(authority)
    if host.hasPrefix("[") {
        guard let close = host.firstIndex(of: "]") else { return false }
        return host[host.index(after: host.startIndex)..<close] == "::1"
    }
    if let colon = host.firstIndex(of: ":") { host = host[..<colon] }
    if host.lowercased() == "localhost" { return true }
    let octets = host.split(separator: ".", omittingEmptySubsequences: false)
    guard octets.count == 4,
        octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) && Int($0)! <= 255 })
    else { return false }
    return octets[0] == "127"
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
