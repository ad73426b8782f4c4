import HTTP1Client
import Foundation
import NIOCore
import NIOHTTP1
import OCIModel

/// How a blob came to be in the repository it was pushed to.
public enum BlobPush: String, Sendable, Codable {
    /// The repository had it already.
    case present
    /// The registry linked it from another repository of its own (cross-repository mount).
    case mounted
    /// Its bytes were sent.
    case uploaded
}

extension RegistryClient {
    /// Blobs up to this size are sent in one `PUT`; larger ones in `PATCH` chunks of this size,
    /// each a point to resume from when the connection breaks.
    public static let uploadChunkSize: Int64 = 32 * 1024 * 1024

    static func pushScope(_ reference: Reference) -> String { "repository:\(reference.repository):pull,push" }

    /// Whether `reference`'s repository has the blob (`HEAD`; distribution-spec v1.1
    /// `#checking-if-content-exists-in-the-registry`).
    public func hasBlob(_ digest: Digest, in reference: Reference) async throws -> Bool {
        let response = try await send(
            .HEAD, registry: reference.registry, path: "/v2/\(reference.repository)/blobs/\(digest)",
            scope: Self.pushScope(reference), what: "blob \(digest) of \(reference.name)")
        switch response.status.code {
        case 200..<300: return true
        case 404: return false
        default:
            throw RegistryError.unexpectedStatus(
                registry: reference.registry, request: "HEAD blob \(digest) of \(reference.name)",
                status: response.status.code, message: "HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
    }

    /// Makes the blob exist in `reference`'s repository, doing as little as it can: nothing when
    /// it is there (`HEAD`), a cross-repository mount from `mountSource` (a repository of the
    /// same registry known to hold it), else an upload of `contents`: one `PUT` up to
    /// ``uploadChunkSize``, chunks beyond. A chunk that fails is resumed where the registry says
    /// the upload stands; an upload the registry forgot starts again. The registry checks the
    /// digest of what it received before it keeps anything.
    ///
    /// Implements distribution-spec v1.1 `#mounting-a-blob-from-another-repository`,
    /// `#pushing-a-blob-monolithically` (`POST` then `PUT`) and `#pushing-a-blob-in-chunks`
    /// (`PATCH`es, the upload's status by `GET` on its location, a closing `PUT`).
    /// - Parameter contents: The blob's bytes in the given range, read afresh for each attempt.
    public func pushBlob<Contents: AsyncSequence & Sendable>(
        _ descriptor: Descriptor,
        to reference: Reference,
        mountingFrom mountSource: Reference? = nil,
        contents: @escaping @Sendable (Range<Int64>) throws -> Contents
    ) async throws -> BlobPush where Contents.Element == ByteBuffer {
        if try await hasBlob(descriptor.digest, in: reference) { return .present }
        let what = "upload of blob \(descriptor.digest) to \(reference.name)"
        return try await withUploadRetries(what: what, to: reference) {
            let started: String?
            do {
                started = try await startUpload(descriptor.digest, to: reference, mountingFrom: mountSource)
            } catch RegistryError.accessDenied where mountSource != nil {
                // Not allowed to read the repository to mount from: an upload needs no more than push.
                started = try await startUpload(descriptor.digest, to: reference, mountingFrom: nil)
            }
            guard var location = started else { return .mounted }
            var offset: Int64 = 0
            var failedChunks = 0
            if descriptor.size > Self.uploadChunkSize {
                while offset < descriptor.size {
                    let end = min(offset + Self.uploadChunkSize, descriptor.size)
                    do {
                        location = try await sendChunk(offset..<end, to: location, of: reference, contents: contents)
                        offset = end
                    } catch let error where Self.isTransient(error) && failedChunks + 1 < retryPolicy.attempts {
                        // Ask the registry how far it got; an upload it no longer takes starts again.
                        failedChunks += 1
                        logger.warning("\(what): the chunk at byte \(offset) failed: \(error); asking where the upload stands")
                        do {
                            (location, offset) = try await uploadStatus(location, of: reference, what: what)
                        } catch {
                            throw UploadLost(reason: "the registry cannot resume it (\(error))")
                        }
                        guard offset <= descriptor.size else {
                            throw UploadLost(reason: "the registry says it holds \(offset) of \(descriptor.size) bytes")
                        }
                        logger.warning("\(what): resuming at byte \(offset)")
                    }
                }
            }
            let last = offset..<descriptor.size
            let response = try await send(
                .PUT, registry: reference.registry, url: Self.appending("digest=\(descriptor.digest)", to: location),
                headers: ["Content-Type": "application/octet-stream", "Content-Length": "\(last.count)"],
                body: { .stream(try contents(last), length: Int64(last.count)) },
                timeout: transferTimeout(bytes: Int64(last.count)), scope: Self.pushScope(reference), what: what)
            if failedChunks > 0, response.status == .badRequest {
                // The registry kept other bytes than the resumed upload assumed: start again.
                throw UploadLost(reason: "the resumed upload did not add up (\(await Self.errorMessage(of: response)))")
            }
            try await Self.expect(201, response, registry: reference.registry, request: what)
            return .uploaded
        }
    }

    /// The digest `reference`'s tag (or digest) names in its repository, from a `HEAD`; nil when
    /// the registry does not have it or does not say.
    public func manifestDigest(of reference: Reference) async throws -> Digest? {
        let response = try await send(
            .HEAD, registry: reference.registry, path: "/v2/\(reference.repository)/manifests/\(reference.identifier)",
            headers: Self.manifestHeaders, scope: Self.pushScope(reference), what: "manifest \(reference)")
        guard response.status == .ok else { return nil }
        return response.headers.first(name: "Docker-Content-Digest").flatMap { try? Digest(parsing: $0) }
    }

    /// Puts a manifest or index under `reference`'s tag or digest. The registry checks that
    /// what it references is there (blobs, or for an index its manifests), so those go first
    /// (distribution-spec v1.1 `#pushing-manifests`).
    public func pushManifest(_ bytes: [UInt8], mediaType: String, to reference: Reference) async throws {
        let what = "manifest \(reference)"
        try await withUploadRetries(what: what, to: reference) {
            let response = try await send(
                .PUT, registry: reference.registry, path: "/v2/\(reference.repository)/manifests/\(reference.identifier)",
                headers: ["Content-Type": mediaType, "Content-Length": "\(bytes.count)"],
                body: { .bytes(ByteBuffer(bytes: bytes)) }, scope: Self.pushScope(reference), what: what)
            try await Self.expect(201, response, registry: reference.registry, request: "PUT \(what)")
        }
    }

    /// `POST …/blobs/uploads/`, with a mount request when there is a source: nil when the
    /// registry mounted the blob, else the location to upload to.
    private func startUpload(_ digest: Digest, to reference: Reference, mountingFrom source: Reference?) async throws
        -> String?
    {
        var path = "/v2/\(reference.repository)/blobs/uploads/"
        var scope = Self.pushScope(reference)
        if let source, source.registry == reference.registry, source.repository != reference.repository {
            path += "?mount=\(digest)&from=\(source.repository)"
            scope += " " + Self.pullScope(source)
        }
        let what = "upload of blob \(digest) to \(reference.name)"
        let response = try await send(.POST, registry: reference.registry, path: path, scope: scope, what: what)
        if response.status == .created { return nil }
        try await Self.expect(202, response, registry: reference.registry, request: "POST \(what)")
        return try location(of: response, registry: reference.registry, request: what)
    }

    /// Sends one chunk with `PATCH`; the answer names the location for the next.
    private func sendChunk<Contents: AsyncSequence & Sendable>(
        _ range: Range<Int64>, to location: String, of reference: Reference,
        contents: @escaping @Sendable (Range<Int64>) throws -> Contents
    ) async throws -> String where Contents.Element == ByteBuffer {
        let what = "chunk \(range.lowerBound)-\(range.upperBound - 1) of an upload to \(reference.name)"
        let response = try await send(
            .PATCH, registry: reference.registry, url: location,
            headers: [
                "Content-Type": "application/octet-stream", "Content-Length": "\(range.count)",
                "Content-Range": "\(range.lowerBound)-\(range.upperBound - 1)",
            ],
            body: { .stream(try contents(range), length: Int64(range.count)) },
            timeout: transferTimeout(bytes: Int64(range.count)), scope: Self.pushScope(reference), what: what)
        try await Self.expect(202, response, registry: reference.registry, request: what)
        return try self.location(of: response, registry: reference.registry, request: what)
    }

    /// Where an interrupted upload stands (`GET` on its location: `Range: 0-LAST`).
    private func uploadStatus(_ location: String, of reference: Reference, what: String) async throws -> (String, Int64) {
        let response = try await send(
            .GET, registry: reference.registry, url: location, scope: Self.pushScope(reference), what: what)
        try await Self.expect(204, response, registry: reference.registry, request: "status of the \(what)")
        return (try self.location(of: response, registry: reference.registry, request: what), Self.received(response))
    }

    /// How many bytes an upload holds, from its status's `Range: 0-LAST`. Distribution says
    /// `0-0` for an empty upload too: taken as empty (a chunk is never one byte), and the digest
    /// check at the end catches any error.
    static func received(_ response: HTTPResponse) -> Int64 {
        guard let last = response.headers.first(name: "Range")?.split(separator: "-").last.flatMap({ Int64($0) }), last > 0,
            last < Descriptor.maximumSize
        else { return 0 }
        return last + 1
    }

    /// Runs an upload step, again from its start when the registry could not be reached or
    /// answered 408, 429 or 5xx, as often as the ``RetryPolicy`` allows.
    /// Being refused is said as such: for an upload, "not found" would mislead.
    private func withUploadRetries<T>(what: String, to reference: Reference, _ body: () async throws -> T) async throws -> T {
        var retry = 0
        while true {
            do {
                return try await body()
            } catch RegistryError.accessDenied(_, _, let message) {
                throw RegistryError.pushDenied(registry: reference.registry, repository: reference.repository, message: message)
            } catch let error where Self.isTransient(error) && retry + 1 < retryPolicy.attempts && !Task.isCancelled {
                retry += 1
                let delay = retryPolicy.backoff(retry: retry)
                logger.warning("\(what): \(error); retry \(retry) of \(retryPolicy.attempts - 1) in \(delay.spoken)")
                try await Task.sleep(for: delay)
            }
        }
    }

    /// An upload the registry cannot continue: a new one starts.
    struct UploadLost: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// A failure that another attempt may not meet: the connection, or a 408, 429 or 5xx.
    /// A registry that forgot an upload (404 on its location) is one too: a new one starts.
    static func isTransient(_ error: any Error) -> Bool {
        if error is UploadLost { return true }
        return switch error as? RegistryError {
        case .unreachable: true
        case .unexpectedStatus(_, _, let status, _): status == 408 || status == 429 || status >= 500 || status == 404
        default: false
        }
    }

    private static func expect(_ status: UInt, _ response: HTTPResponse, registry: String, request: String)
        async throws
    {
        guard response.status.code != status else { return }
        let message = await errorMessage(of: response)
        if response.status == .forbidden {
            throw RegistryError.accessDenied(registry: registry, what: request, message: message)
        }
        throw RegistryError.unexpectedStatus(
            registry: registry, request: request, status: response.status.code, message: message)
    }

    /// The absolute URL of the answer's `Location` (registries may send it relative).
    private func location(of response: HTTPResponse, registry: String, request: String) throws -> String {
        guard let location = response.headers.first(name: "Location"),
            let url = URL(string: location, relativeTo: URL(string: baseURL(for: registry)))?.absoluteURL.absoluteString
        else {
            throw RegistryError.unexpectedStatus(
                registry: registry, request: request, status: response.status.code, message: "the answer has no usable Location")
        }
        return url
    }

    /// `url` with one more query parameter.
    static func appending(_ parameter: String, to url: String) -> String {
        url + (url.contains("?") ? "&" : "?") + parameter
    }
}
