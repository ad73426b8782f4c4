import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// The auth state of one run: the challenge each registry answered with, and Bearer tokens
/// cached per (registry, scope) until they expire. Concurrent requests for the same token
/// share one token request.
actor Authenticator {
    private struct TokenKey: Hashable {
        var registry: String
        var scope: String
    }

    private struct Token {
        var value: String
        var expires: ContinuousClock.Instant
    }

    private let http: HTTPClient
    private let credentials: any CredentialProvider
    private let requests: RequestCounter
    private let logger: Logger
    private var challenges: [String: AuthChallenge] = [:]
    private var tokens: [TokenKey: Token] = [:]
    private var pending: [TokenKey: Task<Token, any Error>] = [:]

    init(http: HTTPClient, credentials: any CredentialProvider, requests: RequestCounter, logger: Logger) {
        self.http = http
        self.credentials = credentials
        self.requests = requests
        self.logger = logger
    }

    /// The `Authorization` value to send before any 401: a cached token, Basic credentials
    /// for a Basic registry, or nil when the registry has not asked for anything yet.
    func authorization(registry: String, scope: String) async throws -> String? {
        guard let challenge = challenges[registry] else { return nil }
        switch challenge.scheme {
        case "basic":
            return try credentials.credentials(for: registry)?.basicAuthorization
        case "bearer":
            let key = TokenKey(registry: registry, scope: scope)
            if let token = tokens[key], token.expires > .now { return "Bearer " + token.value }
            return try await "Bearer " + token(for: key, challenge: challenge, allowPlainHTTP: true).value
        default:
            return nil
        }
    }

    /// Answers a 401 challenge: a new token for Bearer, the configured credentials for Basic.
    /// - Parameter rejected: the `Authorization` the registry just refused; when another
    ///   request has meanwhile cached a different token, that one is tried instead of asking again.
    func authorize(registry: String, scope: String, challenge: AuthChallenge, rejected: String?, allowPlainHTTP: Bool)
        async throws -> String
    {
        challenges[registry] = challenge
        switch challenge.scheme {
        case "basic":
            guard let credentials = try credentials.credentials(for: registry) else {
                throw RegistryError.credentialsRequired(registry: registry, scheme: "Basic")
            }
            return credentials.basicAuthorization
        case "bearer":
            let key = TokenKey(registry: registry, scope: scope)
            if let token = tokens[key], token.expires > .now, "Bearer " + token.value != rejected {
                return "Bearer " + token.value
            }
            tokens[key] = nil
            return try await "Bearer " + token(for: key, challenge: challenge, allowPlainHTTP: allowPlainHTTP).value
        default:
            throw RegistryError.credentialsRequired(registry: registry, scheme: challenge.scheme)
        }
    }

    private func token(for key: TokenKey, challenge: AuthChallenge, allowPlainHTTP: Bool) async throws -> Token {
        if let task = pending[key] { return try await task.value }
        let task = Task { try await self.requestToken(for: key, challenge: challenge, allowPlainHTTP: allowPlainHTTP) }
        pending[key] = task
        defer { pending[key] = nil }
        let token = try await task.value
        tokens[key] = token
        return token
    }

    /// The anonymous or Basic-authenticated token request of the Docker token auth spec
    /// (`GET realm?service=…&scope=…`).
    private func requestToken(for key: TokenKey, challenge: AuthChallenge, allowPlainHTTP: Bool) async throws -> Token {
        guard let realm = challenge.realm, var components = URLComponents(string: realm) else {
            throw RegistryError.tokenRequestFailed(
                registry: key.registry, realm: challenge.realm ?? "none", status: 0, message: "the challenge has no usable realm")
        }
        if components.scheme == "http", !allowPlainHTTP {
            throw RegistryError.insecureRealm(registry: key.registry, realm: realm)
        }
        var query = components.queryItems ?? []
        if let service = challenge.service { query.append(URLQueryItem(name: "service", value: service)) }
        query.append(URLQueryItem(name: "scope", value: key.scope))
        components.queryItems = query
        guard let url = components.string else {
            throw RegistryError.tokenRequestFailed(
                registry: key.registry, realm: realm, status: 0, message: "cannot build the token URL")
        }
        var request = HTTPClientRequest(url: url)
        if let credentials = try credentials.credentials(for: key.registry) {
            request.headers.add(name: "Authorization", value: credentials.basicAuthorization)
        }
        requests.increment()
        logger.debug("GET \(realm) (token for \(key.scope))")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(60))
        } catch {
            throw RegistryError.unreachable(registry: key.registry, url: realm, reason: describe(error))
        }
        guard response.status == .ok else {
            let message = await RegistryClient.errorMessage(of: response)
            if response.status == .unauthorized || response.status == .forbidden {
                throw RegistryError.accessDenied(registry: key.registry, what: "token for \(key.scope)", message: message)
            }
            throw RegistryError.tokenRequestFailed(
                registry: key.registry, realm: realm, status: response.status.code, message: message)
        }
        struct TokenResponse: Decodable {
            var token: String?
            var accessToken: String?
            var expiresIn: Int?
            enum CodingKeys: String, CodingKey {
                case token
                case accessToken = "access_token"
                case expiresIn = "expires_in"
            }
        }
        let body = try await response.body.collect(upTo: 1024 * 1024)
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: Data(body.readableBytesView)),
            let value = decoded.token ?? decoded.accessToken, !value.isEmpty
        else {
            throw RegistryError.tokenRequestFailed(
                registry: key.registry, realm: realm, status: 200, message: "the answer holds no token")
        }
        // Renew a little early so that a token never expires between check and use.
        let lifetime = max(decoded.expiresIn ?? 60, 10)
        return Token(value: value, expires: .now + .seconds(lifetime) - .seconds(min(10, lifetime / 6)))
    }
}
