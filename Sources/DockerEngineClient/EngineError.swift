import OCIModel

/// Everything that can go wrong talking to the engine (Docker or Podman), each case naming the
/// engine's address or the engine that answered (`engine`: `Podman 4.3.1`), the image, and the
/// engine's own message.
public enum EngineError: Error, Sendable, CustomStringConvertible {
    /// The engine's address is not one this tool speaks to.
    case unsupportedHost(host: String, origin: String)
    /// What names the engine (a context, TLS settings) cannot be used.
    case unusableEndpoint(origin: String, reason: String)
    /// The daemon could not be reached; `endpoint` says where it was looked for and why there.
    case unreachable(endpoint: String, reason: String)
    /// The daemon speaks an API older than this tool needs.
    case apiTooOld(host: String, version: String, minimum: String)
    /// The daemon refused a request.
    case daemon(engine: String, what: String, status: UInt, message: String)
    /// The daemon has no image by that name or ID.
    case noSuchImage(engine: String, image: String)
    /// The image is used by containers and was not removed.
    case inUse(image: String, containers: [String])
    /// A load reported an error in its progress stream.
    case loadFailed(engine: String, images: [String], message: String)
    /// A pull reported an error.
    case pullFailed(engine: String, image: String, message: String)

    /// What went wrong, for people; the daemon's words have their control characters escaped.
    public var description: String { text.escapingControlCharacters() }

    private var text: String {
        switch self {
        case let .unsupportedHost(host, origin):
            "\(host) (\(origin)) is not an address this tool reaches the engine at: use unix:///path/to/docker.sock or tcp://host:port"
        case let .unusableEndpoint(origin, reason):
            "\(origin) cannot be used to reach the engine: \(reason)"
        case let .unreachable(endpoint, reason):
            "cannot reach the Docker daemon at \(endpoint): \(reason)"
        case let .apiTooOld(host, version, minimum):
            "the Docker daemon at \(host) speaks API \(version); this tool needs \(minimum) (Docker 20.10) or newer"
        case let .daemon(engine, what, status, message):
            "\(engine) answered \(status) to \(what): \(message)"
        case let .noSuchImage(engine, name):
            "\(engine) has no image \(name)"
        case let .inUse(image, containers):
            "\(image) is used by \(containers.count == 1 ? "container" : "containers") \(containers.joined(separator: ", ")); remove \(containers.count == 1 ? "it" : "them") first"
        case let .loadFailed(engine, images, message):
            "loading \(images.joined(separator: ", ")) into \(engine) failed: \(message)"
        case let .pullFailed(engine, image, message):
            "\(engine) could not pull \(image): \(message)"
        }
    }
}
