import OCIModel
import Testing

/// The test table of containerd/platforms (https://github.com/containerd/platforms, commit
/// 09756f59cb1d6b3fb368f371043d36e634789537, `platforms_test.go`, `TestParseSelector` and
/// `TestParseSelectorInvalid`), ported as data: containerd and Docker pick an image's platform
/// with that package, so we parse, normalise and match as it does.
///
/// Where our API differs, the port says so:
/// - `images.json` names platforms as `os/architecture[/variant]`: containerd's one-part
///   specifiers (`arm`, `armel`, `linux`, `macOS`, which fill in the host's OS or architecture)
///   are refused here, so those cases check what the same architecture normalises to as
///   `linux/ARCH`;
/// - wildcards (`*`, skipped in containerd's own table too) and OS versions and features
///   (`windows(10.0.17763)`, `linux(+gpu)`) are not part of `images.json`'s platforms.
@Suite struct ContainerdPlatformsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String
        var formatted: String
        /// Platforms an index may list that must match the parsed one.
        var matches: [Platform]
        var testDescription: String { input }
    }

    static let table: [Case] = [
        Case(
            input: "linux/arm64", formatted: "linux/arm64",
            matches: [
                Platform(os: "linux", architecture: "arm64"), Platform(os: "linux", architecture: "aarch64"),
                Platform(os: "linux", architecture: "aarch64", variant: "v8"),
                Platform(os: "linux", architecture: "arm64", variant: "v8"),
            ]),
        Case(
            input: "linux/arm64/v8", formatted: "linux/arm64/v8",
            matches: [
                Platform(os: "linux", architecture: "arm64", variant: "v8"), Platform(os: "linux", architecture: "aarch64"),
                Platform(os: "linux", architecture: "aarch64", variant: "v8"), Platform(os: "linux", architecture: "arm64"),
            ]),
        Case(
            input: "linux/arm", formatted: "linux/arm",
            matches: [
                Platform(os: "linux", architecture: "arm"), Platform(os: "linux", architecture: "arm", variant: "v7"),
                Platform(os: "linux", architecture: "armhf"), Platform(os: "linux", architecture: "arm", variant: "7"),
            ]),
        Case(
            input: "linux/arm/v6", formatted: "linux/arm/v6",
            matches: [Platform(os: "linux", architecture: "arm", variant: "v6"), Platform(os: "linux", architecture: "armel")]),
        Case(
            input: "linux/arm/v7", formatted: "linux/arm/v7",
            matches: [
                Platform(os: "linux", architecture: "arm", variant: "v7"), Platform(os: "linux", architecture: "arm"),
                Platform(os: "linux", architecture: "armhf"),
            ]),
        // One-part specifiers in containerd ("arm", "armel", "armhf", "Aarch64", "x86_64", "i386",
        // "s390x"), here with the OS written.
        Case(input: "linux/arm", formatted: "linux/arm", matches: [Platform(os: "linux", architecture: "arm")]),
        Case(
            input: "linux/armel", formatted: "linux/arm/v6",
            matches: [Platform(os: "linux", architecture: "arm", variant: "v6")]),
        Case(
            input: "linux/armhf", formatted: "linux/arm",
            matches: [Platform(os: "linux", architecture: "arm", variant: "v7")]),
        Case(input: "linux/Aarch64", formatted: "linux/arm64", matches: [Platform(os: "linux", architecture: "arm64")]),
        Case(input: "linux/x86_64", formatted: "linux/amd64", matches: [Platform(os: "linux", architecture: "amd64")]),
        Case(input: "Linux/x86_64", formatted: "linux/amd64", matches: [Platform(os: "linux", architecture: "amd64")]),
        Case(input: "linux/i386", formatted: "linux/386", matches: [Platform(os: "linux", architecture: "386")]),
        Case(input: "linux/s390x", formatted: "linux/s390x", matches: [Platform(os: "linux", architecture: "s390x")]),
        // "macOS" alone in containerd: the alias, with an architecture.
        Case(
            input: "macOS/arm64", formatted: "darwin/arm64",
            matches: [Platform(os: "darwin", architecture: "arm64"), Platform(os: "macos", architecture: "aarch64")]),
        // normalizeArch's numeric and dotted variants, and the amd64 baseline.
        Case(
            input: "linux/arm/7", formatted: "linux/arm/v7",
            matches: [Platform(os: "linux", architecture: "arm"), Platform(os: "linux", architecture: "armhf")]),
        Case(
            input: "linux/arm/5", formatted: "linux/arm/v5", matches: [Platform(os: "linux", architecture: "arm", variant: "v5")]),
        Case(
            input: "linux/arm64/v8.0", formatted: "linux/arm64/v8",
            matches: [Platform(os: "linux", architecture: "arm64"), Platform(os: "linux", architecture: "arm64", variant: "8")]),
        Case(
            input: "linux/arm64/9.0", formatted: "linux/arm64/v9",
            matches: [Platform(os: "linux", architecture: "aarch64", variant: "v9.0")]),
        Case(
            input: "linux/amd64/v1", formatted: "linux/amd64",
            matches: [Platform(os: "linux", architecture: "amd64"), Platform(os: "linux", architecture: "x86_64", variant: "v1")]),
        Case(
            input: "linux/i386/v1", formatted: "linux/386", matches: [Platform(os: "linux", architecture: "386")]),
    ]

    @Test(arguments: table)
    func parsesNormalisesAndMatches(_ entry: Case) throws {
        let platform = try Platform(parsing: entry.input)
        #expect(platform.description == entry.formatted)
        for candidate in entry.matches {
            #expect(platform.matches(candidate), "\(entry.input) should match \(candidate)")
        }
        // What is formatted parses back to a platform that matches the same.
        #expect(try Platform(parsing: entry.formatted).matches(platform))
    }

    @Test(arguments: ["linux/arm/v6", "linux/armel"])
    func armV6NeverSelectsArmV7(_ input: String) throws {
        let platform = try Platform(parsing: input)
        #expect(!platform.matches(Platform(os: "linux", architecture: "arm", variant: "v7")))
        #expect(!platform.matches(Platform(os: "linux", architecture: "arm")))
        #expect(!platform.matches(Platform(os: "linux", architecture: "armhf")))
    }

    // TestParseSelectorInvalid, plus the one-part specifiers images.json does not take.
    @Test(arguments: ["", "/linux/arm", "linux/arm/", "linux /arm", "linux/&arm", "linux/arm/foo/bar", "arm", "linux"])
    func invalid(_ input: String) {
        #expect(throws: PlatformError.self) { try Platform(parsing: input) }
    }
}
