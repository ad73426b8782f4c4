import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCIModel

extension RegistryClient {
    static let maximumRedirects = 5

    /// Streams a blob to `consume`, chunk by chunk as it arrives, so that no blob is ever held
    /// whole in memory. The consumer verifies size and digest (see `LayoutStore.BlobIngest`).
    ///
    /// Redirects (registries often send blob downloads to object storage) are followed here,
    /// and the registry's `Authorization` is only sent along when the redirect stays on the
    /// registry's own scheme, host and port.
    /// - Parameters:
    ///   - descriptor: The blob to fetch.
    ///   - reference: The repository that references the blob (auth scope and URL).
    ///   - consume: Called with each chunk, in order. Throwing stops the download.
    public func fetchBlob(
        _ descriptor: Descriptor,
        from reference: Reference,
        into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        let what = "blob \(descriptor.digest) of \(reference.name)"
        let path = "/v2/\(reference.repository)/blobs/\(descriptor.digest)"
        var response = try await send(
            .GET, registry: reference.registry, path: path, scope: Self.pullScope(reference), what: what)
        var url = baseURL(for: reference.registry) + path
        var redirects = 0
        while [301, 302, 303, 307, 308].contains(response.status.code),
            let location = response.headers.first(name: "Location")
        {
            redirects += 1
            guard redirects <= Self.maximumRedirects else { throw RegistryError.tooManyRedirects(url: url) }
            guard let target = URL(string: location, relativeTo: URL(string: url))?.absoluteURL.absoluteString else {
                throw RegistryError.unexpectedStatus(
                    registry: reference.registry, request: what, status: response.status.code,
                    message: "redirect to an unusable location '\(location)'")
            }
            url = target
            var request = HTTPClientRequest(url: target)
            if Self.sameOrigin(target, baseURL(for: reference.registry)),
                let authorization = try await authenticator.authorization(
                    registry: reference.registry, scope: Self.pullScope(reference))
            {
                request.headers.add(name: "Authorization", value: authorization)
            }
            response = try await execute(request, registry: reference.registry)
        }
        guard response.status == .ok else {
            let message = await Self.errorMessage(of: response)
            if response.status == .notFound {
                throw RegistryError.notFound(registry: reference.registry, what: what, message: message)
            }
            throw RegistryError.unexpectedStatus(
                registry: reference.registry, request: what, status: response.status.code, message: message)
        }
        do {
            for try await chunk in response.body {
                try await consume(chunk)
            }
        } catch let error as HTTPClientError {
            throw RegistryError.unreachable(registry: reference.registry, url: url, reason: "the download broke off: \(error)")
        }
    }

    /// Whether two URLs share scheme, host and port.
    static func sameOrigin(_ first: String, _ second: String) -> Bool {
        guard let a = URLComponents(string: first), let b = URLComponents(string: second) else { return false }
        return a.scheme == b.scheme && a.host == b.host && a.port == b.port
    }
}
