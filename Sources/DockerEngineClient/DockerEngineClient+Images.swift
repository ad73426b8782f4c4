import HTTP1Client
import Foundation
import NIOCore
import NIOHTTP1
import OCIModel

/// An image as the daemon describes it (`GET /images/{name}/json`); the daemon's PascalCase
/// keys are read by ``DockerEngineClient/decoder``.
public struct EngineImage: Decodable, Sendable, Equatable {
    /// The image ID: `sha256:` and the config digest (classic store) or the manifest digest (containerd store).
    public var id: String
    public var repoTags: [String]?
    public var repoDigests: [String]?
    public var size: Int64
    public var created: String?
    public var architecture: String?
    public var os: String?
    public var variant: String?

}

/// An image in the daemon's list (`GET /images/json`), tagged or dangling.
public struct EngineImageSummary: Decodable, Sendable, Equatable {
    public var id: String
    /// Empty (or `<none>:<none>`) for a dangling image.
    public var repoTags: [String]?
    /// When the image was built, in seconds since 1970.
    public var created: Int64
    public var size: Int64

    /// The image's names, without Docker's `<none>:<none>` placeholder.
    public var tags: [String] { (repoTags ?? []).filter { $0 != "<none>:<none>" } }
}

/// What the daemon's images take on disk (`GET /system/df`).
public struct EngineDiskUsage: Decodable, Sendable, Equatable {
    public struct Image: Decodable, Sendable, Equatable {
        public var id: String
        public var size: Int64
        /// Bytes of layers other images use too.
        public var sharedSize: Int64
    }

    /// Every layer once: what the images really take.
    public var layersSize: Int64
    public var images: [Image]
}

/// One line of the JSON progress stream of `POST /images/load` and `POST /images/create`.
private struct ProgressLine: Decodable {
    struct Detail: Decodable { var message: String? }
    var stream: String?
    var status: String?
    var error: String?
    var errorDetail: Detail?
}

/// A container, running or stopped (`GET /containers/json?all=1`).
public struct EngineContainer: Decodable, Sendable, Equatable {
    public var id: String
    public var names: [String]
    /// The image as the container was created with it (a name, which may have moved since).
    public var image: String
    /// The image ID the container really uses.
    public var imageID: String
    public var state: String

    /// The container's name without Docker's leading slash, or its short ID.
    public var displayName: String {
        names.first.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? String(id.prefix(12))
    }

}

extension DockerEngineClient {
    /// The image with this name or ID, or nil when the daemon has none.
    public func image(_ name: String) async throws -> EngineImage? {
        try await json(EngineImage.self, "/images/\(name)/json", what: "inspect image \(name)")
    }

    /// The daemon's full description of an image (`docker image inspect`) and its history, as
    /// the JSON the daemon sent; nil when it has no such image.
    public func inspectJSON(_ name: String) async throws -> (image: Data, history: Data)? {
        func raw(_ path: String, _ what: String) async throws -> Data? {
            let response = try await send(.GET, path)
            if response.status == .notFound { return nil }
            guard response.status == .ok else {
                throw EngineError.daemon(
                    engine: await self.name(), what: what, status: response.status.code, message: await Self.message(of: response))
            }
            return Data(try await response.body.collect(upTo: 64 * 1024 * 1024).readableBytesView)
        }
        guard let image = try await raw("/images/\(name)/json", "inspect image \(name)"),
            let history = try await raw("/images/\(name)/history", "history of image \(name)")
        else { return nil }
        return (image, history)
    }

    /// Every image the daemon lists: tagged ones, and dangling ones (no name) at the top of a
    /// chain; not the intermediate layers of builds.
    public func images() async throws -> [EngineImageSummary] {
        try await json([EngineImageSummary].self, "/images/json", what: "list images") ?? []
    }

    /// The daemon's images by ID and by each of their tags, as listed and in Docker's familiar
    /// form (`postgres:16` for a daemon, like Podman, that lists `docker.io/library/postgres:16`),
    /// from one listing: a lookup per image costs no request.
    public func imagesByName() async throws -> [String: EngineImageSummary] {
        var byName: [String: EngineImageSummary] = [:]
        var byFamiliarTag: [String: EngineImageSummary] = [:]
        for image in try await images() {
            byName[image.id] = image
            for tag in image.tags {
                byName[tag] = image
                if let familiar = (try? Reference(parsing: tag))?.dockerTag { byFamiliarTag[familiar] = image }
            }
        }
        return byName.merging(byFamiliarTag) { listed, _ in listed }
    }

    /// The disk usage of images: every layer once, and each image's size and shared size.
    public func diskUsage() async throws -> EngineDiskUsage {
        struct Usage: Decodable {
            var layersSize: Int64
            var images: [EngineDiskUsage.Image]?
        }
        guard let usage = try await json(Usage.self, "/system/df", what: "disk usage") else {
            throw EngineError.daemon(engine: await name(), what: "GET /system/df", status: 404, message: "not found")
        }
        return EngineDiskUsage(layersSize: usage.layersSize, images: usage.images ?? [])
    }

    /// Every container, running or stopped.
    public func containers() async throws -> [EngineContainer] {
        try await json([EngineContainer].self, "/containers/json?all=1", what: "list containers") ?? []
    }

    /// Loads a tar (`docker load`), streamed as it is produced.
    /// - Parameters:
    ///   - tar: the archive: a Docker `manifest.json` and/or an OCI layout.
    ///   - images: the names it holds, for error messages.
    /// - Returns: what the daemon said it loaded (`Loaded image: postgres:16`).
    /// - Throws: ``EngineError/loadFailed(engine:images:message:)`` with the daemon's error, also when
    ///   it comes inside a 200 progress stream.
    public func load<Tar: AsyncSequence & Sendable>(_ tar: Tar, images: [String]) async throws -> [String]
    where Tar.Element == ByteBuffer {
        let response = try await send(
            .POST, "/images/load?quiet=1", body: .stream(tar, length: nil),
            headers: ["Content-Type": "application/x-tar"])
        guard response.status == .ok else {
            throw EngineError.loadFailed(engine: await name(), images: images, message: await Self.message(of: response))
        }
        let engine = await name()
        return try await Self.progress(of: response) { EngineError.loadFailed(engine: engine, images: images, message: $0) }
            .compactMap(\.stream).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// Pulls an image from a registry (`docker pull`) and waits until the daemon has it.
    /// - Parameters:
    ///   - image: a name with a tag or a digest: `127.0.0.1:5000/library/postgres@sha256:…`.
    ///   - plainHTTP: the registry speaks plain HTTP (the cache served on loopback): Docker
    ///     takes that from any 127.0.0.0/8 registry; Podman's Docker-compatible pull insists on
    ///     HTTPS, so Podman is asked through its own API, which may be told not to.
    /// - Throws: ``EngineError/pullFailed(engine:image:message:)`` with the daemon's error, also when it
    ///   comes inside a 200 progress stream.
    public func pull(_ image: String, plainHTTP: Bool = false) async throws {
        let path: String
        if plainHTTP, try await info().isPodman {
            path = "/libpod/images/pull?reference=\(Self.query(image))&tlsVerify=false&quiet=true"
        } else {
            let (name, tag) = Self.splitReference(image)
            path = "/images/create?fromImage=\(Self.query(name))&tag=\(Self.query(tag))"
        }
        let response = try await send(.POST, path)
        guard response.status == .ok else {
            throw EngineError.pullFailed(engine: await name(), image: image, message: await Self.message(of: response))
        }
        let engine = await name()
        _ = try await Self.progress(of: response) { EngineError.pullFailed(engine: engine, image: image, message: $0) }
    }

    /// Gives an image another name (`docker tag`), moving the name if another image had it.
    /// - Parameters:
    ///   - image: the image's current name or ID.
    ///   - name: the new name, with its tag: `postgres:16`.
    public func tag(_ image: String, as name: String) async throws {
        let (repository, tag) = Self.splitReference(name)
        let response = try await send(
            .POST, "/images/\(image)/tag?repo=\(Self.query(repository))&tag=\(Self.query(tag))")
        guard response.status == .created || response.status == .ok else {
            throw EngineError.daemon(
                engine: await self.name(), what: "tag \(image) as \(name)", status: response.status.code,
                message: await Self.message(of: response))
        }
    }

    /// `postgres:16` → (`postgres`, `16`); `host:5000/app@sha256:…` → (`host:5000/app`, `sha256:…`);
    /// a name without either gets `latest`.
    static func splitReference(_ reference: String) -> (name: String, tag: String) {
        if let at = reference.firstIndex(of: "@") {
            return (String(reference[..<at]), String(reference[reference.index(after: at)...]))
        }
        if let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") {
            return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
        }
        return (reference, "latest")
    }

    private static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }

    /// Reads a JSON progress stream to its end; an error line throws `failure(message)`.
    private static func progress(of response: HTTPResponse, failure: (String) -> EngineError) async throws
        -> [ProgressLine]
    {
        var lines: [ProgressLine] = []
        var pending = ByteBuffer()
        for try await chunk in response.body {
            pending.writeImmutableBuffer(chunk)
            while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending.readSlice(length: newline - pending.readerIndex + 1)!
                guard let decoded = try? JSONDecoder().decode(ProgressLine.self, from: Data(line.readableBytesView)) else {
                    continue
                }
                if let message = decoded.errorDetail?.message ?? decoded.error { throw failure(message) }
                lines.append(decoded)
            }
        }
        // The last line may come without its newline.
        if pending.readableBytes > 0, let decoded = try? JSONDecoder().decode(ProgressLine.self, from: Data(pending.readableBytesView)) {
            if let message = decoded.errorDetail?.message ?? decoded.error { throw failure(message) }
            lines.append(decoded)
        }
        return lines
    }

    /// Removes an image by name or ID, never with `force`: an image a container uses stays.
    /// - Returns: nil when the daemon has no such image, else what it untagged and deleted.
    /// - Throws: ``EngineError/inUse(image:containers:)`` on a conflict (with the daemon's words
    ///   when it does not name the container).
    public func removeImage(_ name: String) async throws -> [String]? {
        let response = try await send(.DELETE, "/images/\(name)?force=false&noprune=false")
        switch response.status {
        case .ok:
            struct Removal: Decodable {
                var Untagged: String?
                var Deleted: String?
            }
            let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
            let removals = (try? JSONDecoder().decode([Removal].self, from: Data(body.readableBytesView))) ?? []
            return removals.compactMap { $0.Untagged.map { "untagged \($0)" } ?? $0.Deleted.map { "deleted \($0)" } }
        case .notFound:
            return nil
        case .conflict:
            throw EngineError.inUse(image: name, containers: [await Self.message(of: response)])
        default:
            throw EngineError.daemon(
                engine: await self.name(), what: "remove image \(name)", status: response.status.code,
                message: await Self.message(of: response))
        }
    }
}
