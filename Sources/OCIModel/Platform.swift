/// An image platform: operating system, CPU architecture and optional variant
/// (OCI image spec, `platform` in "Image Index").
///
/// Written as `os/architecture[/variant]`, e.g. `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`.
/// Values are normalised the way containerd's `platforms` package does: `aarch64` is `arm64`,
/// `x86_64` is `amd64`, `armhf` is `arm/v7`, `armel` is `arm/v6`, `i386` is `386`, `macos` is
/// `darwin`, numeric variants gain their `v` (`7` is `v7`, `v8.0` is `v8`), and in matching
/// `arm64` implies `v8` and `arm` implies `v7`.
public struct Platform: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var os: String
    public var architecture: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    /// containerd's known operating systems (`isKnownOS`), and `wasip1`.
    static let knownOperatingSystems: Set<String> = [
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd",
        "openbsd", "plan9", "solaris", "windows", "zos", "wasip1",
    ]
    /// containerd's known architectures (`isKnownArch`).
    static let knownArchitectures: Set<String> = [
        "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips", "mipsle",
        "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64",
        "wasm",
    ]

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/architecture[/variant]` as containerd's `platforms.Parse` does (normalised,
    /// `arm` without its default `v7`, `arm64` with a variant written as `v8`), rejecting
    /// operating systems and architectures that no image uses (a typo like `linux/amd46` must
    /// not silently match nothing).
    /// - Throws: ``PlatformError``.
    public init(parsing text: String) throws(PlatformError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { String($0).lowercased() }
        guard parts.count == 2 || parts.count == 3, !parts.contains("") else {
            throw PlatformError(platform: text, reason: "expected OS/ARCHITECTURE[/VARIANT], e.g. linux/amd64")
        }
        let os = Self.normalizedOS(parts[0])
        guard Self.knownOperatingSystems.contains(os) else {
            throw PlatformError(platform: text, reason: "unknown operating system '\(parts[0])'")
        }
        var (architecture, variant) = Self.normalized(architecture: parts[1], variant: parts.count == 3 ? parts[2] : "")
        guard Self.knownArchitectures.contains(architecture) else {
            throw PlatformError(platform: text, reason: "unknown architecture '\(parts[1])'")
        }
        if parts.count == 2, architecture == "arm", variant == "v7" { variant = "" }
        if parts.count == 3, architecture == "arm64", variant.isEmpty { variant = "v8" }
        self.init(os: os, architecture: architecture, variant: variant.isEmpty ? nil : variant)
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

    /// Whether an image built for `candidate` runs on this platform, comparing os, architecture
    /// and variant normalised as containerd normalises them (`linux/arm64` matches
    /// `linux/arm64/v8` and `linux/aarch64`, `linux/arm` matches `linux/arm/7`).
    public func matches(_ candidate: Platform) -> Bool {
        normalizedForMatching == candidate.normalizedForMatching
    }

    /// The platform as ``matches(_:)`` compares it, as text: equal for platforms that match.
    public var matchKey: String { normalizedForMatching.joined(separator: "/") }

    /// Attestation manifests in an index carry `unknown/unknown`; they are not images.
    public var isUnknown: Bool { os == "unknown" || architecture == "unknown" }

    /// os, architecture and variant as containerd's `Normalize` leaves them.
    var normalizedForMatching: [String] {
        let (architecture, variant) = Self.normalized(architecture: architecture, variant: variant ?? "")
        return [Self.normalizedOS(os), architecture, variant]
    }

    static func normalizedOS(_ os: String) -> String {
        let os = os.lowercased()
        return os == "macos" ? "darwin" : os
    }

    /// containerd's `normalizeArch`: the architecture's canonical name, and the variant the
    /// way that architecture's images are compared (`arm64`'s `v8` and `amd64`'s `v1` are the
    /// baseline, written empty; `arm`'s baseline is `v7`).
    static func normalized(architecture: String, variant: String) -> (String, String) {
        let architecture = architecture.lowercased()
        let variant = variant.lowercased()
        switch architecture {
        case "i386": return ("386", "")
        case "x86_64", "x86-64", "amd64": return ("amd64", variant == "v1" ? "" : variant)
        case "aarch64", "arm64":
            switch variant {
            case "8", "v8", "v8.0": return ("arm64", "")
            case "9", "9.0", "v9.0": return ("arm64", "v9")
            default: return ("arm64", variant)
            }
        case "armhf": return ("arm", "v7")
        case "armel": return ("arm", "v6")
        case "arm":
            switch variant {
            case "", "7": return ("arm", "v7")
            case "5", "6", "8": return ("arm", "v" + variant)
            default: return ("arm", variant)
            }
        default: return (architecture, variant)
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
