import HTTP1Client
import Foundation
import NIOCore
import NIOHTTP1
import OCIModel

extension RegistryClient {
    static let maximumRedirects = 5

    /// Streams a blob to `consume`, chunk by chunk as it arrives, so that no blob is ever held
    /// whole in memory. The consumer verifies size and digest (see `LayoutStore.BlobIngest`).
    ///
    /// A download that breaks off (reset, truncated, stalled past the read timeout) continues
    /// where it stopped with `Range: bytes=N-`, as often as the ``RetryPolicy`` allows; when the
    /// registry does not answer that with a 206 for exactly the rest, `restart` is called and
    /// the blob comes again from its first byte.
    ///
    /// Redirects (registries often send blob downloads to object storage) are followed here, to
    /// where the client's `URLPolicy` allows, and the registry's `Authorization` is only sent
    /// along when the redirect stays on the registry's own scheme, host and port. Each try has
    /// a deadline: the request timeout plus the time the blob takes at
    /// ``minimumTransferRate``.
    /// - Parameters:
    ///   - descriptor: The blob to fetch.
    ///   - reference: The repository that references the blob (auth scope and URL).
    ///   - restart: Forget every byte consumed so far.
    ///   - consume: Called with each chunk, in order. Throwing stops the download.
    ///
    /// Mirrors of the registry are asked first (see ``RegistrySettings/mirrors``).
    ///
    /// Implements distribution-spec v1.1 `#pulling-blobs` (`GET /v2/<name>/blobs/<digest>`,
    /// redirects followed) with `Range` requests to resume (RFC 9110 §14.2: only a 206 whose
    /// `Content-Range` starts at the offset asked is taken).
    public func fetchBlob(
        _ descriptor: Descriptor,
        from reference: Reference,
        restart: () async throws -> Void,
        into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        try await fromMirrors(reference, restart: restart) { source in
            try await fetchBlobDirectly(descriptor, from: source, restart: restart, into: consume)
        }
    }

    private func fetchBlobDirectly(
        _ descriptor: Descriptor,
        from reference: Reference,
        restart: () async throws -> Void,
        into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        /// An error of the consumer's, which ends the download as it is.
        struct ConsumerFailure: Error { var error: any Error }
        let what = "blob \(descriptor.digest) of \(reference.name)"
        var received: Int64 = 0
        var retry = 0
        while true {
            var timeout = transferTimeout(bytes: descriptor.size - received)
            var deadline = ContinuousClock.now + timeout
            var (response, url) = try await openBlob(descriptor, of: reference, from: received, timeout: timeout, what: what)
            if received > 0, response.status != .partialContent || Self.rangeStart(of: response) != received {
                logger.warning("\(what): the registry cannot resume at byte \(received); starting again")
                try await restart()
                received = 0
                // The whole blob now comes, with the whole blob's time.
                timeout = transferTimeout(bytes: descriptor.size)
                deadline = ContinuousClock.now + timeout
                // A 200 holds the whole blob; a 206 for other bytes is of no use.
                if response.status != .ok {
                    (response, url) = try await openBlob(descriptor, of: reference, from: 0, timeout: timeout, what: what)
                }
            }
            let brokenOff: String
            do {
                var late = false
                for try await chunk in response.body {
                    do { try await consume(chunk) } catch { throw ConsumerFailure(error: error) }
                    received += Int64(chunk.readableBytes)
                    // A registry that sends a byte now and then is cut off at the deadline.
                    if ContinuousClock.now > deadline, received < descriptor.size {
                        late = true
                        break
                    }
                }
                guard received < descriptor.size else { return }
                brokenOff =
                    late
                    ? "the download was slower than \(Self.minimumTransferRate / 1024) KiB/s and passed its deadline after \(received) of \(descriptor.size) bytes"
                    : "the download ended after \(received) of \(descriptor.size) bytes"
            } catch let failure as ConsumerFailure {
                throw failure.error
            } catch {
                brokenOff = "the download broke off after \(received) of \(descriptor.size) bytes: \(describe(error))"
            }
            retry += 1
            guard retry < retryPolicy.attempts else {
                throw RegistryError.unreachable(registry: reference.registry, url: url, reason: brokenOff)
            }
            let delay = retryPolicy.backoff(retry: retry)
            logger.warning(
                "\(what): \(brokenOff); resuming, retry \(retry) of \(retryPolicy.attempts - 1) in \(delay.spoken)")
            try await Task.sleep(for: delay)
        }
    }

    /// Starts a blob download at byte `offset`, following redirects, each request bounded by
    /// `timeout`; the answer is a 200 or, for an offset, maybe a 206.
    private func openBlob(
        _ descriptor: Descriptor, of reference: Reference, from offset: Int64, timeout: Duration, what: String
    ) async throws -> (HTTPResponse, url: String) {
        let path = "/v2/\(reference.repository)/blobs/\(descriptor.digest)"
        var headers = HTTPHeaders()
        if offset > 0 { headers.add(name: "Range", value: "bytes=\(offset)-") }
        var response = try await send(
            .GET, registry: reference.registry, path: path, headers: headers, timeout: timeout, streamed: true,
            scope: Self.pullScope(reference), what: what)
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
            var request = HTTPRequest(url: target)
            request.headers = headers
            if Self.sameOrigin(target, baseURL(for: reference.registry)),
                let authorization = try await authenticator.authorization(
                    registry: reference.registry, scope: Self.pullScope(reference))
            {
                request.headers.add(name: "Authorization", value: authorization)
            }
            response = try await transport.execute(request, registry: reference.registry, timeout: timeout, streamed: true)
        }
        guard response.status == .ok || (offset > 0 && response.status == .partialContent) else {
            let message = await Self.errorMessage(of: response)
            if response.status == .notFound {
                throw RegistryError.notFound(registry: reference.registry, what: what, message: message)
            }
            throw RegistryError.unexpectedStatus(
                registry: reference.registry, request: what, status: response.status.code, message: message)
        }
        return (response, url)
    }

    /// The first byte a 206 answer holds, from `Content-Range: bytes FIRST-LAST/TOTAL`.
    static func rangeStart(of response: HTTPResponse) -> Int64? {
        guard let value = response.headers.first(name: "Content-Range"), value.hasPrefix("bytes "),
            let dash = value.firstIndex(of: "-")
        else { return nil }
        return Int64(value[value.index(value.startIndex, offsetBy: 6)..<dash])
    }

    /// Whether two URLs share scheme, host and port.
    static func sameOrigin(_ first: String, _ second: String) -> Bool {
        guard let a = URLComponents(string: first), let b = URLComponents(string: second) else { return false }
        return a.scheme == b.scheme && a.host == b.host && a.port == b.port
    }
}
