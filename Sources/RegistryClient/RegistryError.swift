import OCIModel

/// Everything that can go wrong talking to a registry, each case carrying what a user needs
/// to act: the registry, the reference or digest, the status and the registry's own message.
public enum RegistryError: Error, Sendable, CustomStringConvertible {
    /// The registry could not be reached at all (refused, DNS, TLS, timeout).
    case unreachable(registry: String, url: String, reason: String)
    /// The manifest or blob does not exist, or the credentials may not read it.
    case notFound(registry: String, what: String, message: String)
    /// Authentication failed even with a fresh token or the configured credentials.
    case accessDenied(registry: String, what: String, message: String)
    /// The registry asked for credentials and none are configured for it.
    case credentialsRequired(registry: String, scheme: String)
    /// The token service failed.
    case tokenRequestFailed(registry: String, realm: String, status: UInt, message: String)
    /// A URL the client will not send a request to (see `URLPolicy`): a token realm, redirect,
    /// upload location or mirror that is not http(s), plain HTTP to a remote host, or this
    /// machine named by a remote registry.
    case refusedURL(registry: String, url: String, reason: String)
    /// The registry answered with a status this client did not expect.
    case unexpectedStatus(registry: String, request: String, status: UInt, message: String)
    /// A manifest larger than the 4 MiB limit.
    case manifestTooLarge(reference: String, limit: Int)
    /// Bytes that do not hash to the digest they were asked for.
    case digestMismatch(what: String, expected: Digest, actual: Digest)
    /// A manifest that cannot be used.
    case invalidManifest(reference: String, reason: String)
    /// More redirects than allowed.
    case tooManyRedirects(url: String)
    /// The registry does not let these credentials (or no credentials) push to the repository.
    case pushDenied(registry: String, repository: String, message: String)
    /// The registry refuses more requests for now (429), past what the retry policy waits for.
    case rateLimited(registry: String, retryAfter: Duration?, limit: RateLimit?, message: String)

    /// What went wrong, for people; text that came from the registry has its control characters escaped.
    public var description: String { text.escapingControlCharacters() }

    private var text: String {
        switch self {
        case let .unreachable(registry, url, reason):
            "cannot reach registry \(registry) (\(url)): \(reason)"
        case let .notFound(registry, what, message):
            "\(what) not found on \(registry): \(message)"
        case let .accessDenied(registry, what, message):
            "\(what) on \(registry): not found or access denied (\(message))"
        case let .credentialsRequired(registry, scheme):
            "registry \(registry) requires \(scheme) authentication and no credentials are configured for it (docker login \(registry))"
        case let .tokenRequestFailed(registry, realm, status, message):
            "the token service of \(registry) (\(realm)) answered \(status): \(message)"
        case let .refusedURL(registry, url, reason):
            "registry \(registry) sent this client to \(url); refusing it: \(reason)"
        case let .unexpectedStatus(registry, request, status, message):
            "registry \(registry) answered \(status) to \(request): \(message)"
        case let .manifestTooLarge(reference, limit):
            "the manifest of \(reference) is larger than \(limit / 1024 / 1024) MiB; refusing it"
        case let .digestMismatch(what, expected, actual):
            "\(what): expected digest \(expected) but the registry served content with digest \(actual); nothing was stored"
        case let .invalidManifest(reference, reason):
            "the manifest of \(reference) is invalid: \(reason)"
        case let .tooManyRedirects(url):
            "too many redirects fetching \(url)"
        case let .pushDenied(registry, repository, message):
            "registry \(registry) does not let this client push to \(repository) (\(message)); log in with an account that may push (docker login \(registry))"
        case let .rateLimited(registry, retryAfter, limit, message):
            "registry \(registry) is rate-limiting this client (429: \(message))"
                + (limit.map { "; \($0)" } ?? "")
                + (retryAfter.map { "; it asks to wait \($0.spoken)" } ?? "")
                + "; try again later, or log in (docker login \(registry)) for a higher limit"
        }
    }
}
