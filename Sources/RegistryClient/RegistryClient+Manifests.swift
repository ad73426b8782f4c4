import HTTP1Client
import NIOCore
import NIOHTTP1
import OCIModel

/// A manifest exactly as the registry served it, verified against its digest.
public struct FetchedManifest: Sendable {
    /// The exact bytes received; the digest covers these.
    public var bytes: [UInt8]
    public var digest: Digest
    public var mediaType: String
    public var document: ManifestDocument

    /// A descriptor for these bytes.
    public var descriptor: Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }
}

extension RegistryClient {
    /// Manifests larger than this are refused, like containerd and distribution do.
    public static let manifestSizeLimit = 4 * 1024 * 1024

    /// Resolves a reference to the descriptor of its manifest (or index) with a `HEAD` request,
    /// which Docker Hub does not count against its pull limit. Falls back to `GET` when the
    /// registry does not send `Docker-Content-Digest`.
    /// - Returns: The descriptor, and the manifest itself when a `GET` was needed.
    /// Mirrors of the registry are asked first (see ``RegistrySettings/mirrors``).
    ///
    /// Implements distribution-spec v1.1 `#checking-if-content-exists-in-the-registry`
    /// (`HEAD /v2/<name>/manifests/<reference>`), then `#pulling-manifests`.
    public func resolve(_ reference: Reference) async throws -> (Descriptor, FetchedManifest?) {
        try await fromMirrors(reference) { try await resolveDirectly($0) }
    }

    private func resolveDirectly(_ reference: Reference) async throws -> (Descriptor, FetchedManifest?) {
        let response: HTTPResponse
        do {
            response = try await send(
                .HEAD,
                registry: reference.registry,
                path: "/v2/\(reference.repository)/manifests/\(reference.identifier)",
                headers: Self.manifestHeaders,
                scope: Self.pullScope(reference),
                what: "manifest \(reference)"
            )
        } catch RegistryError.accessDenied {
            // A HEAD answer has no body to explain itself: ask again with GET for the registry's message.
            let manifest = try await fetchManifestDirectly(reference)
            return (manifest.descriptor, manifest)
        }
        guard (200..<300).contains(response.status.code) else {
            let manifest = try await fetchManifestDirectly(reference)
            return (manifest.descriptor, manifest)
        }
        // Taken as the answer only when every header is sound; else the GET shows what is wrong.
        if let digestHeader = response.headers.first(name: "Docker-Content-Digest"),
            let digest = try? Digest(parsing: digestHeader),
            let mediaType = response.headers.first(name: "Content-Type").flatMap(MediaType.essence(ofContentType:)),
            MediaType.acceptedManifests.contains(mediaType),
            let length = response.headers.first(name: "Content-Length").flatMap(Int64.init),
            (1...Int64(Self.manifestSizeLimit)).contains(length)
        {
            if let expected = reference.digest, expected != digest {
                throw RegistryError.digestMismatch(what: "manifest \(reference)", expected: expected, actual: digest)
            }
            return (Descriptor(mediaType: mediaType, digest: digest, size: length), nil)
        }
        let manifest = try await fetchManifestDirectly(reference)
        return (manifest.descriptor, manifest)
    }

    /// Fetches a manifest or index by tag or digest and verifies its bytes: against the
    /// reference's digest when it has one, else against `Docker-Content-Digest` when sent.
    /// Mirrors of the registry are asked first (see ``RegistrySettings/mirrors``).
    ///
    /// Implements distribution-spec v1.1 `#pulling-manifests`, with the digest checks of its
    /// "Content Digests" and the OCI image-spec's `descriptor.md#digests`.
    public func fetchManifest(_ reference: Reference) async throws -> FetchedManifest {
        try await fromMirrors(reference) { try await fetchManifestDirectly($0) }
    }

    private func fetchManifestDirectly(_ reference: Reference) async throws -> FetchedManifest {
        let response = try await send(
            .GET,
            registry: reference.registry,
            path: "/v2/\(reference.repository)/manifests/\(reference.identifier)",
            headers: Self.manifestHeaders,
            scope: Self.pullScope(reference),
            what: "manifest \(reference)"
        )
        try await Self.check(response, reference: reference, registry: reference.registry)
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), !(0...Self.manifestSizeLimit).contains(length) {
            throw RegistryError.manifestTooLarge(reference: reference.description, limit: Self.manifestSizeLimit)
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.manifestSizeLimit)
        } catch is NIOTooManyBytesError {
            throw RegistryError.manifestTooLarge(reference: reference.description, limit: Self.manifestSizeLimit)
        } catch {
            throw RegistryError.unreachable(registry: reference.registry, url: "manifest \(reference)", reason: describe(error))
        }
        let bytes = Array(body.readableBytesView)
        let actual = SHA256.digest(of: bytes)
        let announced = response.headers.first(name: "Docker-Content-Digest").flatMap { try? Digest(parsing: $0) }
        if let expected = reference.digest ?? announced, expected != actual {
            throw RegistryError.digestMismatch(what: "manifest \(reference)", expected: expected, actual: actual)
        }
        let contentType = response.headers.first(name: "Content-Type")
        let document: ManifestDocument
        do {
            document = try ManifestDocument.decode(bytes, contentType: contentType)
        } catch {
            throw RegistryError.invalidManifest(reference: reference.description, reason: error.description)
        }
        let mediaType: String
        switch document {
        case .index(let index): mediaType = index.mediaType ?? known(contentType) ?? MediaType.ociIndex
        case .image(let manifest): mediaType = manifest.mediaType ?? known(contentType) ?? MediaType.ociManifest
        }
        return FetchedManifest(bytes: bytes, digest: actual, mediaType: mediaType, document: document)
    }

    static let manifestHeaders: HTTPHeaders = ["Accept": MediaType.acceptedManifests.joined(separator: ", ")]

    static func pullScope(_ reference: Reference) -> String { "repository:\(reference.repository):pull" }

    /// The manifest media type a `Content-Type` names, if it names one.
    private func known(_ contentType: String?) -> String? {
        contentType.flatMap(MediaType.essence(ofContentType:)).flatMap { MediaType.acceptedManifests.contains($0) ? $0 : nil }
    }

    /// Turns a non-2xx answer into the matching error, with the registry's own message.
    static func check(_ response: HTTPResponse, reference: Reference, registry: String) async throws {
        guard !(200..<300).contains(response.status.code) else { return }
        let message = await errorMessage(of: response)
        switch response.status {
        case .notFound:
            throw RegistryError.notFound(registry: registry, what: "manifest \(reference)", message: message)
        case .forbidden:
            throw RegistryError.accessDenied(registry: registry, what: "manifest \(reference)", message: message)
        default:
            throw RegistryError.unexpectedStatus(
                registry: registry, request: "manifest \(reference)", status: response.status.code, message: message)
        }
    }
}
