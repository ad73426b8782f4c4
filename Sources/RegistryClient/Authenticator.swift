import HTTP1Client
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

    private let transport: Transport
    private let credentials: any CredentialProvider
    private let logger: Logger
    private var challenges: [String: AuthChallenge] = [:]
    private var tokens: [TokenKey: Token] = [:]
    private var pending: [TokenKey: Task<Token, any Error>] = [:]

    init(transport: Transport, credentials: any CredentialProvider, logger: Logger) {
        self.transport = transport
        self.credentials = credentials
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
            return try await "Bearer " + token(for: key, challenge: challenge).value
        default:
            return nil
        }
    }

    /// Answers a 401 challenge: a new token for Bearer, the configured credentials for Basic.
    /// - Parameter rejected: the `Authorization` the registry just refused; when another
    ///   request has meanwhile cached a different token, that one is tried instead of asking again.
    func authorize(registry: String, scope: String, challenge: AuthChallenge, rejected: String?)
        async throws -> String
    {
        challenges[registry] = challenge
        switch challenge.scheme {
        case "basic":
            guard let basic = try credentials.credentials(for: registry)?.basicAuthorization else {
                throw RegistryError.credentialsRequired(registry: registry, scheme: "Basic")
            }
            return basic
        case "bearer":
            let key = TokenKey(registry: registry, scope: Self.scope(scope, widenedBy: challenge))
            if let token = tokens[key], token.expires > .now, "Bearer " + token.value != rejected {
                return "Bearer " + token.value
            }
            tokens[key] = nil
            return try await "Bearer " + token(for: key, challenge: challenge).value
        default:
            throw RegistryError.credentialsRequired(registry: registry, scheme: challenge.scheme)
        }
    }

    /// The scope to ask a token for: ours, and when the registry answered `insufficient_scope`,
    /// what its challenge names besides (the scope the request needs).
    static func scope(_ scope: String, widenedBy challenge: AuthChallenge) -> String {
        guard challenge.parameters["error"] == "insufficient_scope" else { return scope }
        let scopes = Set((scope + " " + (challenge.scope ?? "")).split(separator: " ").map(String.init))
        return scopes.sorted().joined(separator: " ")
    }

    private func token(for key: TokenKey, challenge: AuthChallenge) async throws -> Token {
        if let task = pending[key] { return try await task.value }
        let task = Task { try await self.requestToken(for: key, challenge: challenge) }
        pending[key] = task
        defer { pending[key] = nil }
        let token = try await task.value
        tokens[key] = token
        return token
    }

    /// The token request of distribution's token auth spec (`docs/spec/auth/token.md`,
    /// "Requesting a Token": `GET realm?service=…&scope=…`, anonymous or with Basic
    /// credentials), or with an identity token its OAuth2 form (`docs/spec/auth/oauth.md`:
    /// `POST` of `grant_type=refresh_token`).
    private func requestToken(for key: TokenKey, challenge: AuthChallenge) async throws -> Token {
        guard let realm = challenge.realm, var components = URLComponents(string: realm) else {
            throw RegistryError.tokenRequestFailed(
                registry: key.registry, realm: challenge.realm ?? "none", status: 0, message: "the challenge has no usable realm")
        }
        let scopes = key.scope.split(separator: " ").map { URLQueryItem(name: "scope", value: String($0)) }
        let service = challenge.service.map { [URLQueryItem(name: "service", value: $0)] } ?? []
        let credentials = try credentials.credentials(for: key.registry)
        var request: HTTPRequest
        if let identityToken = credentials?.identityToken {
            // OAuth2: the identity token is a refresh token, exchanged with a form POST.
            guard let url = components.string else {
                throw RegistryError.tokenRequestFailed(
                    registry: key.registry, realm: realm, status: 0, message: "cannot build the token URL")
            }
            var form = URLComponents()
            form.queryItems =
                [
                    URLQueryItem(name: "grant_type", value: "refresh_token"),
                    URLQueryItem(name: "client_id", value: "swift-images"),
                    URLQueryItem(name: "refresh_token", value: identityToken),
                ] + service + [URLQueryItem(name: "scope", value: key.scope)]
            request = HTTPRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            // URLComponents leaves `+` alone, which a form decodes as a space.
            let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            request.body = .bytes(ByteBuffer(string: body))
        } else {
            components.queryItems = (components.queryItems ?? []) + service + scopes
            guard let url = components.string else {
                throw RegistryError.tokenRequestFailed(
                    registry: key.registry, realm: realm, status: 0, message: "cannot build the token URL")
            }
            request = HTTPRequest(url: url)
            if let basic = credentials?.basicAuthorization { request.headers.add(name: "Authorization", value: basic) }
        }
        logger.debug("token for \(key.scope) from \(realm)")
        let response = try await transport.execute(request, registry: key.registry)
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
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 1024 * 1024)
        } catch {
            throw RegistryError.tokenRequestFailed(
                registry: key.registry, realm: realm, status: 200, message: "the answer is larger than 1 MiB or broke off")
        }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: Data(body.readableBytesView)),
            let value = decoded.token ?? decoded.accessToken, !value.isEmpty
        else {
            throw RegistryError.tokenRequestFailed(
                registry: key.registry, realm: realm, status: 200, message: "the answer holds no token")
        }
        // Renew a little early so that a token never expires between check and use.
        // Checked: a lifetime beyond a day is taken as a day, one below 10 s as 10 s.
        let lifetime = min(max(decoded.expiresIn ?? 60, 10), 86400)
        return Token(value: value, expires: .now + .seconds(lifetime) - .seconds(min(10, lifetime / 6)))
    }
}
