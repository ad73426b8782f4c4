import OCIModel

/// Everything that can go wrong talking to the Docker daemon, each case naming the daemon's
/// address or the image, and carrying the daemon's own message.
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
    case daemon(what: String, status: UInt, message: String)
    /// The daemon has no image by that name or ID.
    case noSuchImage(String)
    /// The image is used by containers and was not removed.
    case inUse(image: String, containers: [String])
    /// A load reported an error in its progress stream.
    case loadFailed(images: [String], message: String)
    /// A pull reported an error.
    case pullFailed(image: String, message: String)

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
        case let .daemon(what, status, message):
            "the Docker daemon answered \(status) to \(what): \(message)"
        case let .noSuchImage(name):
            "the Docker daemon has no image \(name)"
        case let .inUse(image, containers):
            "\(image) is used by \(containers.count == 1 ? "container" : "containers") \(containers.joined(separator: ", ")); remove \(containers.count == 1 ? "it" : "them") first"
        case let .loadFailed(images, message):
            "loading \(images.joined(separator: ", ")) into the Docker daemon failed: \(message)"
        case let .pullFailed(image, message):
            "the Docker daemon could not pull \(image): \(message)"
        }
    }
}
