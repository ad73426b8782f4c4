import LayoutStore
import OCIModel
import RegistryClient

/// The one way blobs come into the cache from registries: streamed into the store's ingest
/// area while hashed, `jobs` at a time, the next started as soon as one finishes. Pulls use it,
/// and pushes that complete an index from its source.
struct BlobDownloads {
    let registry: RegistryClient
    let store: LayoutStore
    let jobs: Int
    /// Bytes received, as they arrive; negative when a download starts over.
    let received: @Sendable (Int64) -> Void

    /// Downloads `queue` and calls `completed` (serially) after each blob, with its failure if it failed.
    func run(_ queue: [Descriptor.WithSource], completed: (Digest, (any Error)?) async throws -> Void) async throws {
        guard !queue.isEmpty else { return }
        let (registry, store, received) = (self.registry, self.store, self.received)
        try await SlidingWindow.run(
            queue, width: jobs, operation: { try await Self.fetch($0, registry: registry, store: store, received: received) }
        ) { blob, outcome in
            if case .failure(let error) = outcome {
                try await completed(blob.descriptor.digest, error)
            } else {
                try await completed(blob.descriptor.digest, nil)
            }
        }
    }

    /// Downloads one blob into the store. Content that does not hash to its digest is thrown
    /// away and fetched once more (a bad hop may have damaged it); a second mismatch fails.
    private static func fetch(
        _ blob: Descriptor.WithSource, registry: RegistryClient, store: LayoutStore,
        received: @escaping @Sendable (Int64) -> Void
    ) async throws -> Int64 {
        for attempt in 1...2 {
            var bytesSoFar: Int64 = 0
            do {
                return try await store.ingest(blob.descriptor) { ingest in
                    try await registry.fetchBlob(
                        blob.descriptor, from: blob.source,
                        restart: {
                            received(-ingest.received)
                            try await ingest.restart()
                        }
                    ) { chunk in
                        try await ingest.write(chunk)
                        bytesSoFar = ingest.received
                        received(Int64(chunk.readableBytes))
                    }
                }
            } catch let error as LayoutError where attempt == 1 {
                guard case .digestMismatch = error else { throw error }
                received(-bytesSoFar)
                registry.logger.warning("\(blob.descriptor.digest) of \(blob.source.name): \(error); fetching it again")
            }
        }
        preconditionFailure("the second attempt returns or throws")
    }
}
