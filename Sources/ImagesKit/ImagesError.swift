import OCIModel

/// Failures of the workflows, beyond those of the registry, the cache and the files.
public enum ImagesError: Error, Sendable, CustomStringConvertible {
    /// The image does not offer a platform the manifest asks for.
    case platformUnavailable(reference: String, platform: Platform, available: [Platform])
    /// No lock file, where the images must be pinned by one.
    case lockMissing(path: String)
    /// A lock that does not pin these images as the manifest declares them.
    case lockOutdated(path: String, images: [String])
    /// `--offline` and something is not in the cache.
    case notCached([String])
    /// Some images failed; the others were completed.
    case imagesFailed([(image: String, error: any Error)])
    /// An image the manifest declares and the cache does not hold.
    case notInCache(reference: String, cache: String)
    /// `images rm` or `inspect` of something neither the cache nor (`engineToo`) the daemon
    /// holds; `similar`: cached or declared references it may have meant.
    case noSuchImage(String, cache: String, engineToo: Bool, similar: [String])
    /// A config blob too large to be a config.
    case configTooLarge(reference: String, size: Int64)
    /// An environment variable this tool reads, set to a value it cannot use.
    case invalidEnvironment(name: String, value: String, expected: String)
    /// A push destination that is not a registry with an optional path.
    case invalidDestination(String, reason: String)
    /// Declared images that `images push` would put under one tag with different content.
    case pushCollision(target: String, images: [String])

    public var description: String {
        switch self {
        case let .platformUnavailable(reference, platform, available):
            "\(reference) has no image for \(platform); it offers \(available.isEmpty ? "none" : available.map(\.description).joined(separator: ", "))"
        case let .lockMissing(path):
            "\(path) does not exist"
        case let .lockOutdated(path, images):
            "\(path) does not match the manifest for \(images.joined(separator: ", "))"
        case let .notCached(missing):
            "offline, and not in the cache: " + missing.joined(separator: "; ")
        case let .imagesFailed(failures):
            failures.map { "\($0.image): \($0.error)" }.joined(separator: "\n")
        case let .notInCache(reference, cache):
            "\(reference) is not in the cache at \(cache)"
        case let .noSuchImage(argument, cache, engineToo, similar):
            "no image \(argument) in the cache at \(cache)\(engineToo ? " nor in the engine" : "")\(Reference.didYouMean(similar))"
        case let .configTooLarge(reference, size):
            "the config of \(reference) is \(size) bytes; refusing it"
        case let .invalidEnvironment(name, value, expected):
            "\(name)=\(value) is not valid: expected \(expected)"
        case let .invalidDestination(destination, reason):
            "'\(destination)' is not a registry with an optional path (HOST[:PORT][/PREFIX]): \(reason)"
        case let .pushCollision(target, images):
            "\(images.joined(separator: " and ")) would both be pushed to \(target) with different content; nothing was pushed"
        }
    }
}
