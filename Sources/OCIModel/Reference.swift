/// An image reference, `[host[:port]/]path[:tag][@digest]`, parsed with the grammar of
/// distribution's `reference` package and normalised the way Docker does.
///
/// - `alpine` is `docker.io/library/alpine:latest`;
/// - the first component is a registry host only if it contains `.` or `:`, is `localhost`,
///   or has an uppercase letter; otherwise the reference is on Docker Hub;
/// - `index.docker.io` is `docker.io`, whose API is served by `registry-1.docker.io`;
/// - with both a tag and a digest, the digest decides what is fetched and the tag is kept as a name.
public struct Reference: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The registry as written in canonical references: `docker.io`, `ghcr.io`, `localhost:5000`.
    public let registry: String
    /// The repository path inside the registry: `library/alpine`, `acme/base`.
    public let repository: String
    /// The tag, if any. A reference with neither tag nor digest gets `latest`.
    public let tag: String?
    /// The digest, if the reference pins one.
    public let digest: Digest?

    public static let dockerHub = "docker.io"
    /// The longest repository path (the registry host not counted).
    static let maximumNameLength = 255
    static let maximumTagLength = 128

    public init(registry: String, repository: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag ?? (digest == nil ? "latest" : nil)
        self.digest = digest
    }

    /// Parses and normalises a reference.
    /// - Throws: ``ReferenceError`` naming the part that is wrong.
    public init(parsing text: String) throws(ReferenceError) {
        func fail(_ reason: String) -> ReferenceError { ReferenceError(reference: text, reason: reason) }
        guard !text.isEmpty else { throw fail("it is empty") }
        if let bad = text.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
            throw fail("it contains the character \(bad.escaped(asASCII: true)), which no reference may hold")
        }

        var rest = Substring(text)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            let digestText = rest[rest.index(after: at)...]
            do {
                digest = try Digest(parsing: digestText)
            } catch {
                throw fail("the digest is wrong: \(error.reason)")
            }
            rest = rest[..<at]
        }

        var tag: String?
        // A tag follows the last ':' only when no '/' comes after it (else the ':' is a port).
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let tagText = String(rest[rest.index(after: colon)...])
            try Self.validateTag(tagText, in: text)
            tag = tagText
            rest = rest[..<colon]
        }

        let name = String(rest)
        guard !name.isEmpty else { throw fail("the repository name is missing") }
        if name.utf8.count == 64, name.utf8.allSatisfy({ isHexDigit($0) }) {
            throw fail("a 64-character hex string is an image ID, not a repository name")
        }

        var registry = Self.dockerHub
        var path = name
        if let slash = name.firstIndex(of: "/") {
            let first = name[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost"
                || first.contains(where: { $0.isUppercase })
            {
                try Self.validateHost(first, in: text)
                registry = String(first)
                path = String(name[name.index(after: slash)...])
            }
        }
        if registry == "index.docker.io" { registry = Self.dockerHub }

        try Self.validatePath(path, in: text)
        if registry == Self.dockerHub, !path.contains("/") {
            path = "library/" + path
        }
        // The repository path, not the registry host, is limited (distribution/reference ≥ v0.6.0).
        guard path.utf8.count <= Self.maximumNameLength else {
            throw fail("the repository path is \(path.utf8.count) characters long, the maximum is \(Self.maximumNameLength)")
        }
        self.init(registry: registry, repository: path, tag: tag, digest: digest)
    }

    /// The canonical form: `docker.io/library/alpine:latest`, `ghcr.io/acme/base@sha256:…`.
    public var description: String {
        var text = name
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// The short name Docker shows: `postgres` for `docker.io/library/postgres`, `acme/app` for
    /// `docker.io/acme/app`, the full name elsewhere. `library/` is dropped only where one
    /// component follows: `docker.io/library/foo/bar` stays `library/foo/bar` (a different
    /// repository from `docker.io/foo/bar`).
    public var familiarName: String {
        guard registry == Self.dockerHub else { return name }
        let official = repository.dropFirst("library/".count)
        return repository.hasPrefix("library/") && !official.contains("/") ? String(official) : repository
    }

    /// What Docker tags the image as: `postgres:16`; nil for a reference pinned by digest only.
    public var dockerTag: String? {
        tag.map { familiarName + ":" + $0 }
    }

    /// `registry/repository`, without tag or digest.
    public var name: String { registry + "/" + repository }

    /// What a registry is asked for: the digest if there is one, else the tag.
    public var identifier: String { digest?.description ?? tag ?? "latest" }

    /// The host that serves the registry API: `registry-1.docker.io` for Docker Hub.
    public var apiHost: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

    /// The same repository at another digest (the tag is kept as a name).
    public func pinned(to digest: Digest) -> Reference {
        Reference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    public static func < (lhs: Reference, rhs: Reference) -> Bool { lhs.description < rhs.description }

    // MARK: Grammar

    /// `host := domain-name | IPv4 | [IPv6]`, optionally followed by `:port`.
    static func validateHost(_ host: Substring, in text: String) throws(ReferenceError) {
        func fail(_ reason: String) -> ReferenceError {
            ReferenceError(reference: text, reason: "the registry host '\(host)' is wrong: \(reason)")
        }
        var hostPart = host
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw fail("an IPv6 address needs a closing ']'") }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0 == ":" || $0.isHexDigit }) else {
                throw fail("'\(address)' is not an IPv6 address")
            }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw fail("only ':PORT' may follow the IPv6 address") }
                port = after.dropFirst()
            }
            hostPart = host[...close]
        } else {
            if let colon = host.firstIndex(of: ":") {
                port = host[host.index(after: colon)...]
                hostPart = host[..<colon]
            }
            let components = hostPart.split(separator: ".", omittingEmptySubsequences: false)
            for component in components {
                guard !component.isEmpty else { throw fail("it has an empty label") }
                guard component.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
                    throw fail("'\(component)' may hold only letters, digits and '-'")
                }
                guard component.first != "-", component.last != "-" else {
                    throw fail("'\(component)' may not start or end with '-'")
                }
            }
        }
        if let port {
            guard !port.isEmpty, port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw fail("the port '\(port)' is not a number")
            }
        }
    }

    /// `path := component ('/' component)*`, `component := [a-z0-9]+ (separator [a-z0-9]+)*`,
    /// `separator := '.' | '_' | '__' | '-'+`.
    static func validatePath(_ path: String, in text: String) throws(ReferenceError) {
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            func fail(_ reason: String) -> ReferenceError {
                ReferenceError(reference: text, reason: "the path component '\(component)' \(reason)")
            }
            guard !component.isEmpty else {
                throw ReferenceError(reference: text, reason: "the repository path '\(path)' has an empty component")
            }
            if component.contains(where: { $0.isUppercase }) {
                throw fail("must be lowercase")
            }
            let bytes = Array(component.utf8)
            guard isLowerAlphanumeric(bytes.first!), isLowerAlphanumeric(bytes.last!) else {
                throw fail("must start and end with a lowercase letter or digit")
            }
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if isLowerAlphanumeric(byte) {
                    index += 1
                    continue
                }
                var end = index
                while end < bytes.count, !isLowerAlphanumeric(bytes[end]) { end += 1 }
                let separator = String(decoding: bytes[index..<end], as: UTF8.self)
                let valid =
                    separator == "." || separator == "_" || separator == "__"
                    || separator.allSatisfy({ $0 == "-" })
                guard valid else {
                    throw fail("has '\(separator)' where only '.', '_', '__' or dashes may separate letters and digits")
                }
                index = end
            }
        }
    }

    /// `tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    static func validateTag(_ tag: String, in text: String) throws(ReferenceError) {
        func fail(_ reason: String) -> ReferenceError {
            ReferenceError(reference: text, reason: "the tag '\(tag)' \(reason)")
        }
        guard let first = tag.utf8.first else { throw fail("is empty") }
        guard tag.utf8.count <= maximumTagLength else {
            throw fail("is \(tag.utf8.count) characters long, the maximum is \(maximumTagLength)")
        }
        guard isAlphanumeric(first) || first == UInt8(ascii: "_") else {
            throw fail("must start with a letter, a digit or '_'")
        }
        guard
            tag.utf8.allSatisfy({
                isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
            })
        else {
            throw fail("may hold only letters, digits, '_', '.' and '-'")
        }
    }
}

private func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
    (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
}

private func isAlphanumeric(_ byte: UInt8) -> Bool {
    isLowerAlphanumeric(byte) || (byte >= 0x41 && byte <= 0x5A)
}

private func isHexDigit(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
}

/// A string that is not a valid image reference.
public struct ReferenceError: Error, Hashable, Sendable, CustomStringConvertible {
    public let reference: String
    public let reason: String

    public init(reference: String, reason: String) {
        self.reference = reference
        self.reason = reason
    }

    public var description: String { "invalid image reference '\(reference)': \(reason)" }
}
