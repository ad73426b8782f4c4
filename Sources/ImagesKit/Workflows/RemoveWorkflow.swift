import DockerEngineClient
import Foundation
import LayoutStore
import OCIModel

/// What `images rm` did with one argument.
public struct RemovedImage: Sendable, Codable, Equatable {
    /// The argument as given.
    public var argument: String
    /// Cache entries removed (`reference platform`).
    public var cacheEntries: [String]
    /// What the daemon untagged and deleted; nil when the daemon was not asked.
    public var engine: [String]?
    /// Why this argument failed, if it did.
    public var error: String?
}

/// Removes images from the cache (their `index.json` entries, then every blob nothing else
/// needs) and, when given an engine, from the Docker daemon, never one a container uses: per
/// argument all or nothing, the daemon asked first.
package struct RemoveWorkflow: Sendable {
    package let store: LayoutStore
    /// nil: the cache only.
    package let engine: DockerEngineClient?

    package init(store: LayoutStore, engine: DockerEngineClient?) {
        self.store = store
        self.engine = engine
    }

    /// Removes each argument (a reference, or an image ID or digest prefix of at least 12 hex
    /// characters); a failing argument does not stop the others.
    /// - Returns: one result per argument (a failed one carries its `error`), and what the
    ///   garbage collection freed.
    package func run(_ arguments: [String]) async throws -> (images: [RemovedImage], freed: LayoutStore.Collection) {
        var results: [RemovedImage] = []
        for argument in arguments {
            var result = RemovedImage(argument: argument, cacheEntries: [], engine: nil, error: nil)
            do {
                let target = try Target(argument)
                // The daemon first: when it refuses (a container uses the image), the cache keeps
                // the image too, and the argument fails as a whole.
                if let engine {
                    result.engine = try await removeFromEngine(target, engine: engine)
                }
                let removed = try await store.removeEntries { entry in target.matches(entry, in: store) }
                result.cacheEntries = removed.map { entry in
                    [entry.annotations?[LayoutStore.refNameAnnotation], entry.platform?.description].compactMap { $0 }.joined(
                        separator: " ")
                }
                if result.cacheEntries.isEmpty, result.engine?.isEmpty ?? true {
                    let cached = try store.index().manifests.compactMap { $0.annotations?[LayoutStore.refNameAnnotation] }
                    throw ImagesError.noSuchImage(
                        argument, cache: store.root, engineToo: engine != nil,
                        similar: Reference.likelyMeant(by: argument, among: cached))
                }
            } catch {
                result.error = String(describing: error)
            }
            results.append(result)
        }
        return (results, try await store.collectGarbage())
    }

    /// Removes the image from the daemon unless a container, running or stopped, uses it.
    func removeFromEngine(_ target: Target, engine: DockerEngineClient) async throws -> [String] {
        let name = target.engineName
        guard let image = try await engine.image(name) else { return [] }
        let users = try await engine.containers().filter { $0.imageID == image.id }
        guard users.isEmpty else {
            throw EngineError.inUse(image: target.argument, containers: users.map(\.displayName))
        }
        return try await engine.removeImage(name) ?? []
    }

    /// What an argument names.
    struct Target {
        let argument: String
        /// A reference, or nil when the argument is an ID prefix.
        let reference: Reference?
        /// The hex an ID or digest starts with.
        let idPrefix: String?

        init(_ argument: String) throws {
            self.argument = argument
            let hex = argument.hasPrefix("sha256:") ? String(argument.dropFirst("sha256:".count)) : argument
            if hex.count >= 12, hex.count <= 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
                reference = nil
                idPrefix = hex
            } else {
                reference = try Reference(parsing: argument)
                idPrefix = nil
            }
        }

        /// The name to ask the daemon for: the Docker tag, else the canonical reference, else the ID.
        var engineName: String {
            if let reference { return reference.dockerTag ?? reference.description }
            // The daemon takes a full ID with its algorithm, and a short one without.
            return idPrefix!.count == 64 ? "sha256:" + idPrefix! : idPrefix!
        }

        /// Whether a cache entry is this image: by reference, or by manifest or config digest prefix.
        func matches(_ entry: Descriptor, in store: LayoutStore) -> Bool {
            if let reference { return entry.annotations?[LayoutStore.refNameAnnotation] == reference.description }
            guard let idPrefix else { return false }
            if entry.digest.encoded.hasPrefix(idPrefix) { return true }
            guard let manifest = try? store.imageManifest(entry.digest) else { return false }
            return manifest.config.digest.encoded.hasPrefix(idPrefix)
        }
    }
}
