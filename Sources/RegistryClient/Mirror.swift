import OCIModel

/// Another registry that may serve a registry's images, written `host[:port][/prefix]`: the
/// image `registry/repository` is looked for there as `host[:port]/prefix/repository` (a
/// registry seeded with `images push --to host/prefix`, or, without a prefix, a pull-through
/// cache such as distribution's `proxy.remoteurl`).
public struct Mirror: Hashable, Sendable, CustomStringConvertible {
    public let registry: String
    public let prefix: String?

    /// - Throws: ``ReferenceError`` when the text is not a registry host with an optional path.
    public init(parsing text: String) throws(ReferenceError) {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        let host = String(trimmed.prefix { $0 != "/" })
        // Parsed as the name of an image under it, the host must come out as the registry.
        let probe: Reference
        do {
            probe = try Reference(parsing: trimmed + "/probe")
        } catch {
            throw ReferenceError(reference: text, reason: error.reason)
        }
        guard probe.registry == host, host.contains(".") || host.contains(":") || host == "localhost" else {
            throw ReferenceError(
                reference: text, reason: "it must start with a registry host (with a '.' or a port, or localhost)")
        }
        registry = host
        let path = trimmed.dropFirst(host.count).drop { $0 == "/" }
        prefix = path.isEmpty ? nil : String(path)
    }

    /// Where the mirror keeps the image `reference` names.
    public func reference(for reference: Reference) -> Reference {
        Reference(
            registry: registry, repository: (prefix.map { $0 + "/" } ?? "") + reference.repository, tag: reference.tag,
            digest: reference.digest)
    }

    public var description: String { registry + (prefix.map { "/" + $0 } ?? "") }
}
