/// An image platform: operating system, CPU architecture and optional variant
/// (OCI image spec, `platform` in "Image Index").
///
/// Written as `os/architecture[/variant]`, e.g. `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`.
/// Values are normalised the way containerd does: `aarch64` is `arm64`, `x86_64` is `amd64`,
/// `arm64` has the implied variant `v8` and `arm` the implied variant `v7`.
public struct Platform: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var os: String
    public var architecture: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    static let knownOperatingSystems: Set<String> = [
        "linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos",
        "aix", "android", "dragonfly", "ios", "js", "plan9", "wasip1",
    ]
    static let knownArchitectures: Set<String> = [
        "amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "mips64le",
        "mips64", "mipsle", "mips", "loong64", "wasm",
    ]

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/architecture[/variant]`, rejecting operating systems and architectures
    /// that no image uses (a typo like `linux/amd46` must not silently match nothing).
    /// - Throws: ``PlatformError``.
    public init(parsing text: String) throws(PlatformError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { String($0).lowercased() }
        guard parts.count == 2 || parts.count == 3, !parts.contains("") else {
            throw PlatformError(platform: text, reason: "expected OS/ARCHITECTURE[/VARIANT], e.g. linux/amd64")
        }
        guard Self.knownOperatingSystems.contains(parts[0]) else {
            throw PlatformError(platform: text, reason: "unknown operating system '\(parts[0])'")
        }
        let architecture = Self.normalizedArchitecture(parts[1])
        guard Self.knownArchitectures.contains(architecture) else {
            throw PlatformError(platform: text, reason: "unknown architecture '\(parts[1])'")
        }
        self.init(os: parts[0], architecture: architecture, variant: parts.count == 3 ? parts[2] : nil)
    }

    /// The platform of the machine this runs on (Linux or macOS hosts run Linux images).
    public static var host: Platform {
        #if arch(arm64)
            Platform(os: "linux", architecture: "arm64")
        #elseif arch(x86_64)
            Platform(os: "linux", architecture: "amd64")
        #elseif arch(s390x)
            Platform(os: "linux", architecture: "s390x")
        #elseif arch(powerpc64le)
            Platform(os: "linux", architecture: "ppc64le")
        #else
            Platform(os: "linux", architecture: "amd64")
        #endif
    }

    /// `os/architecture[/variant]`.
    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// Whether an image built for `candidate` runs on this platform, comparing normalised
    /// os, architecture and variant (`linux/arm64` matches `linux/arm64/v8`).
    public func matches(_ candidate: Platform) -> Bool {
        os == candidate.os.lowercased()
            && architecture == Self.normalizedArchitecture(candidate.architecture.lowercased())
            && normalizedVariant == candidate.normalizedVariant
    }

    /// Attestation manifests in an index carry `unknown/unknown`; they are not images.
    public var isUnknown: Bool { os == "unknown" || architecture == "unknown" }

    var normalizedVariant: String? {
        let variant = variant?.lowercased()
        switch Self.normalizedArchitecture(architecture.lowercased()) {
        case "arm64": return variant == nil || variant == "v8" ? "v8" : variant
        case "arm": return variant ?? "v7"
        default: return variant
        }
    }

    static func normalizedArchitecture(_ architecture: String) -> String {
        switch architecture {
        case "aarch64": "arm64"
        case "x86_64", "x86-64": "amd64"
        case "i386", "i686": "386"
        case "armhf", "armel": "arm"
        default: architecture
        }
    }

    public static func < (lhs: Platform, rhs: Platform) -> Bool { lhs.description < rhs.description }

    enum CodingKeys: String, CodingKey {
        case os, architecture, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }
}

/// A platform string that cannot be used.
public struct PlatformError: Error, Hashable, Sendable, CustomStringConvertible {
    public let platform: String
    public let reason: String
    public var description: String { "invalid platform '\(platform)': \(reason)" }
}
