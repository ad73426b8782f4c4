import LayoutStore
import NIOCore
import NIOHTTP1
import NIOPosix
import OCIModel

/// Cached images served read-only over the OCI distribution API
/// (https://github.com/opencontainers/distribution-spec) on a free loopback port, so that a
/// Docker daemon on this machine can pull them from the cache the way it pulls from any
/// registry.
///
/// Only the blobs it was created with are served, by digest, whatever the repository name in
/// the request; manifests with their own media type. Tags, listings, pushes and anything else
/// get the distribution API's errors. Plain HTTP on 127.0.0.1, which Docker trusts as an
/// insecure registry by default.
public struct LayoutRegistry: Sendable {
    public let store: LayoutStore
    private let served: [Digest: Descriptor]

    /// - Parameter descriptors: what may be served: image manifests (their `mediaType` becomes
    ///   the `Content-Type`), configs and layers.
    public init(store: LayoutStore, serving descriptors: [Descriptor]) {
        self.store = store
        served = Dictionary(descriptors.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Listens on 127.0.0.1, on a port the system picks, while `body` runs.
    /// - Parameter body: gets the registry's address, `127.0.0.1:PORT`.
    @discardableResult
    public func withServer<T: Sendable>(_ body: (_ address: String) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let address = "127.0.0.1:\(server.channel.localAddress?.port ?? 0)"
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withThrowingDiscardingTaskGroup { connections in
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await self.serve(connection) }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            return try await body(address)
        }
    }

    /// Answers the requests of one connection, one after the other, until the client closes it.
    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var request: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let head): request = head
                case .body: continue
                case .end:
                    if let request { try await respond(to: request, outbound) }
                    request = nil
                }
            }
        }
    }

    private func respond(to request: HTTPRequestHead, _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>)
        async throws
    {
        var headers: HTTPHeaders = ["Docker-Distribution-API-Version": "registry/2.0"]
        func send(_ status: HTTPResponseStatus, json: String) async throws {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(json.utf8.count)")
            try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
            if request.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: json)))) }
            try await outbound.write(.end(nil))
        }
        func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) async throws {
            try await send(status, json: #"{"errors":[{"code":"\#(code)","message":"\#(message)"}]}"#)
        }

        guard request.method == .GET || request.method == .HEAD else {
            return try await error(.methodNotAllowed, "UNSUPPORTED", "this registry is read-only")
        }
        let route = Route(uri: request.uri)
        let descriptor: Descriptor
        switch route {
        case .ping:
            return try await send(.ok, json: "{}")
        case .manifest(let digest?):
            guard let manifest = served[digest], MediaType.isImageManifest(manifest.mediaType) else {
                return try await error(.notFound, "MANIFEST_UNKNOWN", "manifest unknown")
            }
            descriptor = manifest
            headers.add(name: "Content-Type", value: manifest.mediaType)
        case .manifest(nil):
            return try await error(.notFound, "MANIFEST_UNKNOWN", "only manifests by digest are served")
        case .blob(let digest?):
            guard let blob = served[digest] else { return try await error(.notFound, "BLOB_UNKNOWN", "blob unknown") }
            descriptor = blob
            headers.add(name: "Content-Type", value: "application/octet-stream")
        case .blob(nil), nil:
            return try await error(.notFound, "NAME_UNKNOWN", "no such route")
        }
        let contents = try store.contents(of: descriptor)
        headers.add(name: "Docker-Content-Digest", value: descriptor.digest.description)
        headers.add(name: "Content-Length", value: "\(descriptor.size)")
        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers)))
        if request.method == .GET {
            // A blob that turns out shorter or longer than its descriptor throws here, which
            // closes the connection: the client sees a truncated body, never a wrong one.
            for try await chunk in contents { try await outbound.write(.body(.byteBuffer(chunk))) }
        }
        try await outbound.write(.end(nil))
    }
}

/// What a request asks for: `/v2/`, `/v2/NAME/manifests/REFERENCE`, `/v2/NAME/blobs/DIGEST`;
/// a reference that is not a digest is nil.
enum Route: Equatable {
    case ping
    case manifest(Digest?)
    case blob(Digest?)

    init?(uri: String) {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if path == "/v2/" || path == "/v2" {
            self = .ping
            return
        }
        // A digest has no slash: the last component is the reference, what comes before it says
        // what is asked for, after the repository name.
        guard path.hasPrefix("/v2/") else { return nil }
        let afterVersion = path.dropFirst("/v2/".count)
        guard let slash = afterVersion.lastIndex(of: "/") else { return nil }
        let digest = try? Digest(parsing: afterVersion[afterVersion.index(after: slash)...])
        let rest = afterVersion[..<slash]
        if rest.hasSuffix("/manifests") && rest.count > "/manifests".count {
            self = .manifest(digest)
            return
        }
        if rest.hasSuffix("/blobs") && rest.count > "/blobs".count {
            self = .blob(digest)
            return
        }
        return nil
    }
}
