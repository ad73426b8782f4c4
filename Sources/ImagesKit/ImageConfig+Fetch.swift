import Foundation
import LayoutStore
import NIOCore
import OCIModel
import RegistryClient

extension ImageConfig {
    /// Reads an image's config: from the cache when it is there, else from the registry (kept
    /// in the cache, verified, when there is one).
    /// - Throws: ``ImagesError/configTooLarge(reference:size:)`` beyond 4 MiB.
    static func fetch(_ descriptor: Descriptor, of reference: Reference, registry: RegistryClient, store: LayoutStore?)
        async throws -> ImageConfig
    {
        guard descriptor.size <= RegistryClient.manifestSizeLimit else {
            throw ImagesError.configTooLarge(reference: reference.description, size: descriptor.size)
        }
        if let store, store.hasBlob(descriptor.digest) {
            return try ImageConfig.decode(store.readBlob(descriptor.digest))
        }
        var bytes = ByteBuffer()
        if let store {
            try await store.ingest(descriptor) { ingest in
                try await registry.fetchBlob(
                    descriptor, from: reference,
                    restart: {
                        bytes.clear()
                        try await ingest.restart()
                    }
                ) { chunk in
                    bytes.writeImmutableBuffer(chunk)
                    try await ingest.write(chunk)
                }
            }
        } else {
            try await registry.fetchBlob(descriptor, from: reference, restart: { bytes.clear() }) { chunk in
                guard bytes.readableBytes + chunk.readableBytes <= descriptor.size else {
                    throw LayoutError.sizeMismatch(
                        digest: descriptor.digest, expected: descriptor.size,
                        actual: Int64(bytes.readableBytes + chunk.readableBytes))
                }
                bytes.writeImmutableBuffer(chunk)
            }
        }
        return try ImageConfig.decode(bytes.readableBytesView)
    }
}
