import Foundation
import LayoutStore
import OCIModel
import RegistryClient

/// `images.json`: the images a project depends on, checked into its repository.
///
/// ```json
/// {
///   "version": 1,
///   "platforms": ["linux/amd64"],
///   "images": ["swift:6.0-jammy", { "ref": "postgres:16", "platforms": ["linux/amd64", "linux/arm64"] }],
///   "registries": { "localhost:5000": { "insecure": true } },
///   "budgets": { "total": { "compressed": "2GB" } },
///   "prune": { "keep": ["acme/*"], "grace": "7d" }
/// }
/// ```
/// Unknown keys are errors. To add a setting, add a property and a case to the `CodingKeys`
/// of the object it belongs to.
public struct ImagesManifest: Sendable, Equatable {
    /// The file format version this tool reads.
    public static let supportedVersion = 1
    /// The file name looked for in the current directory.
    public static let defaultFileName = "images.json"

    /// Where the manifest was read from.
    public var path: String
    /// The default platforms (the file's, else the host's).
    public var platforms: [Platform]
    /// The declared images, in file order.
    public var images: [DeclaredImage]
    /// Per-registry settings, keyed by registry host as written in references.
    package var registries: [String: RegistrySettings]
    /// The budget of the whole set (`budgets.total`), checked against every layer counted once.
    public var totalBudget: SizeBudget?
    /// What `images prune` keeps besides the declared images.
    public var prune: PruneSettings

    /// Where `images.lock.json` belongs: next to the manifest.
    public var lockPath: String {
        (URL(fileURLWithPath: path).deletingLastPathComponent().path as NSString).appendingPathComponent(Lockfile.fileName)
    }

    /// Reads and validates `images.json`.
    /// - Throws: ``ManifestError`` naming the file, the key path and what is wrong.
    public static func load(path: String) throws(ManifestError) -> ImagesManifest {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ManifestError(path: path, keyPath: nil, message: ManifestError.noSuchFile)
        }
        let bytes: [UInt8]
        do {
            bytes = try LayoutStore.readFile(atPath: path, limit: 16 * 1024 * 1024, followingLinks: true)
        } catch {
            guard case .unreadable(_, let reason) = error else { throw ManifestError(path: path, keyPath: nil, message: "\(error)") }
            throw ManifestError(path: path, keyPath: nil, message: "cannot read the file: \(reason)")
        }
        return try decode(Data(bytes), path: path)
    }

    /// Validates manifest bytes; `path` is only used in errors.
    public static func decode(_ data: Data, path: String, hostPlatform: Platform = .host) throws(ManifestError) -> ImagesManifest
    {
        do {
            try StrictJSON.check(data)
        } catch {
            if error.isSyntaxError { throw ManifestError(path: path, keyPath: nil, message: error.description) }
            throw ManifestError(path: path, keyPath: error.keyPath, message: error.reason)
        }
        let file: ManifestFile
        do {
            file = try JSONDecoder().decode(ManifestFile.self, from: data)
        } catch let error as DecodingError {
            let (keyPath, message) = explain(error)
            throw ManifestError(path: path, keyPath: keyPath, message: message)
        } catch {
            throw ManifestError(path: path, keyPath: nil, message: String(describing: error))
        }
        let defaults = file.platforms ?? [hostPlatform]
        let images = file.images.map { entry in
            DeclaredImage(
                written: entry.written, reference: entry.reference, platforms: entry.platforms ?? defaults, budget: entry.budget)
        }
        var seen: [Reference: Int] = [:]
        for (position, image) in images.enumerated() {
            if let first = seen[image.reference] {
                throw ManifestError(
                    path: path, keyPath: "images[\(position)]",
                    message:
                        "'\(image.written)' is the same image as images[\(first)] ('\(images[first].written)'): declare it once")
            }
            seen[image.reference] = position
        }
        return ImagesManifest(
            path: path,
            platforms: defaults,
            images: images,
            registries: (file.registries ?? [:]).mapValues {
                RegistrySettings(
                    insecure: $0.insecure ?? false, credentialVariables: $0.credentialVariables, mirrors: $0.mirrors)
            },
            totalBudget: file.budgets?.total,
            prune: file.prune ?? PruneSettings()
        )
    }

    /// The declared images matching `filters` (references as the user typed them), in file order.
    /// - Throws: ``ManifestError`` for a filter that is not declared.
    public func images(matching filters: [String]) throws -> [DeclaredImage] {
        guard !filters.isEmpty else { return images }
        return try filters.map { filter in
            let reference = try Reference(parsing: filter)
            guard let image = images.first(where: { $0.reference == reference || $0.written == filter }) else {
                let meant = Reference.likelyMeant(by: filter, among: images.map(\.written))
                throw ManifestError(
                    path: path, keyPath: nil, message: "'\(filter)' is not declared in this manifest\(Reference.didYouMean(meant))")
            }
            return image
        }
    }
}

/// One image the manifest declares.
public struct DeclaredImage: Sendable, Hashable {
    /// The reference exactly as written in `images.json`.
    public var written: String
    /// The parsed, normalised reference.
    public var reference: Reference
    /// The platforms to lock and pull, sorted and without duplicates.
    public var platforms: [Platform]
    /// Limits on each platform's sizes (`images report --check`).
    public var budget: SizeBudget?

    public init(written: String, reference: Reference, platforms: [Platform], budget: SizeBudget? = nil) {
        self.written = written
        self.reference = reference
        self.platforms = Array(Set(platforms)).sorted()
        self.budget = budget
    }
}

/// An `images.json` that cannot be used.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let keyPath: String?
    public let message: String

    /// The ``message`` of a manifest that does not exist.
    public static let noSuchFile = "no such file"

    public init(path: String, keyPath: String?, message: String) {
        self.path = path
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        if let keyPath { return "\(path): \(keyPath): \(message)" }
        return "\(path): \(message)"
    }
}

// MARK: - The file's shape

private struct ManifestFile: Decodable {
    var version: Int
    var platforms: [Platform]?
    var images: [ImageEntry]
    var registries: [String: RegistryEntry]?
    var budgets: Budgets?
    var prune: PruneSettings?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, platforms, images, registries, budgets, prune
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        guard version == ImagesManifest.supportedVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "unsupported version \(version) (this tool reads version \(ImagesManifest.supportedVersion))")
        }
        platforms = try container.decodeIfPresent(PlatformList.self, forKey: .platforms)?.platforms
        images = try container.decode([ImageEntry].self, forKey: .images)
        registries = try container.decodeIfPresent([String: RegistryEntry].self, forKey: .registries)
        budgets = try container.decodeIfPresent(Budgets.self, forKey: .budgets)
        prune = try container.decodeIfPresent(PruneSettings.self, forKey: .prune)
    }
}

/// `"budgets": { "total": { … } }`.
private struct Budgets: Decodable {
    var total: SizeBudget?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case total
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        total = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(SizeBudget.self, forKey: .total)
    }
}

/// A non-empty list of platform strings, each validated.
private struct PlatformList: Decodable {
    var platforms: [Platform]

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        var platforms: [Platform] = []
        while !container.isAtEnd {
            let text = try container.decode(String.self)
            do {
                platforms.append(try Platform(parsing: text))
            } catch {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath + [AnyCodingKey(intValue: container.currentIndex - 1)!],
                        debugDescription: error.description))
            }
        }
        guard !platforms.isEmpty else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "the list of platforms is empty"))
        }
        self.platforms = platforms
    }
}

/// `"postgres:16"` or `{ "ref": "postgres:16", "platforms": [...], "budget": {...} }`.
private struct ImageEntry: Decodable {
    var written: String
    var reference: Reference
    var platforms: [Platform]?
    var budget: SizeBudget?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ref, platforms, budget
    }

    init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            written = text
            reference = try Self.parse(text, codingPath: decoder.codingPath)
            platforms = nil
            budget = nil
            return
        }
        guard (try? decoder.container(keyedBy: AnyCodingKey.self)) != nil else {
            throw DecodingError.typeMismatch(
                ImageEntry.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected a reference string or an object with 'ref'"))
        }
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        written = try container.decode(String.self, forKey: .ref)
        reference = try Self.parse(written, codingPath: decoder.codingPath + [CodingKeys.ref])
        platforms = try container.decodeIfPresent(PlatformList.self, forKey: .platforms)?.platforms
        budget = try container.decodeIfPresent(SizeBudget.self, forKey: .budget)
    }

    static func parse(_ text: String, codingPath: [any CodingKey]) throws -> Reference {
        do {
            return try Reference(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: error.description))
        }
    }
}

private struct RegistryEntry: Decodable {
    var insecure: Bool?
    var credentialVariables: EnvironmentCredentials.Variables?
    var mirrors: [Mirror]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case insecure, usernameEnv, passwordEnv, tokenEnv, mirrors
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        insecure = try container.decodeIfPresent(Bool.self, forKey: .insecure)
        let mirrorTexts: [String] = try container.decodeIfPresent([String].self, forKey: .mirrors) ?? []
        mirrors = try mirrorTexts.map { (text: String) throws -> Mirror in
            do {
                return try Mirror(parsing: text)
            } catch {
                throw DecodingError.dataCorruptedError(
                    forKey: .mirrors, in: container, debugDescription: String(describing: error))
            }
        }
        func variable(_ key: CodingKeys) throws -> String? {
            guard let name = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
            // The value is never quoted: it might be the secret written here by mistake.
            guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "must name an environment variable (letters, digits and _), never hold the secret itself")
            }
            return name
        }
        switch (try variable(.usernameEnv), try variable(.passwordEnv), try variable(.tokenEnv)) {
        case (nil, nil, nil):
            credentialVariables = nil
        case let (username?, password?, nil):
            credentialVariables = .usernameAndPassword(username: username, password: password)
        case let (nil, nil, token?):
            credentialVariables = .identityToken(token)
        case (_, _, .some):
            throw DecodingError.dataCorruptedError(
                forKey: .tokenEnv, in: container,
                debugDescription: "give either tokenEnv or usernameEnv and passwordEnv, not both")
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .passwordEnv, in: container, debugDescription: "usernameEnv and passwordEnv go together")
        }
    }
}
