import Foundation
import OCIModel

/// The sizes of a layer that only decompressing it tells, recorded in the cache's metadata
/// once measured.
public struct LayerSizes: Codable, Sendable, Equatable {
    /// Bytes of the uncompressed tar stream: what the config's `rootfs.diff_ids` hash.
    public var tar: Int64
    /// Bytes of the layer's files as Docker counts them (`docker history`): the sizes of its tar
    /// entries, hard links counting 0.
    public var unpacked: Int64
    /// Files, directories, links… in the layer.
    public var entries: Int
    /// The sha256 of the tar stream, checked against the config's `diff_ids`.
    public var diffID: Digest

    public init(tar: Int64, unpacked: Int64, entries: Int, diffID: Digest) {
        self.tar = tar
        self.unpacked = unpacked
        self.entries = entries
        self.diffID = diffID
    }
}

extension LayoutStore {
    /// The recorded sizes of layers, by their (compressed) digest.
    public func recordedLayerSizes() throws -> [Digest: LayerSizes] {
        var sizes: [Digest: LayerSizes] = [:]
        for (key, value) in try metadata().layers {
            if let digest = try? Digest(parsing: key) { sizes[digest] = value }
        }
        return sizes
    }

    /// Records measured layer sizes in the metadata.
    public func recordLayerSizes(_ sizes: [Digest: LayerSizes]) async throws {
        guard !sizes.isEmpty else { return }
        try await updateMetadata { metadata in
            for (digest, value) in sizes { metadata.layers[digest.description] = value }
        }
    }

    /// Decompresses a cached layer as it is read (gzip through zlib, zstd through libzstd, or a
    /// plain tar), hashing the tar stream and reading its headers as they pass; nothing is written.
    /// - Parameter diffID: the config's `diff_ids` entry for this layer, checked when given.
    /// - Throws: ``LayoutError/corruptLayer(layer:reason:)`` when the stream is not a valid tar
    ///   (or gzip, or zstd), ``LayoutError/diffIDMismatch(layer:expected:actual:)``.
    public func measureLayer(_ layer: Descriptor, diffID: Digest?) async throws -> LayerSizes {
        var hasher = SHA256()
        var scanner = TarScanner()
        var tarBytes: Int64 = 0
        var decompressor: (any Decompressor)?
        var started = false
        do {
            let take = { (bytes: UnsafeRawBufferPointer) throws in
                hasher.update(bytes)
                tarBytes += Int64(bytes.count)
                try scanner.consume(bytes)
            }
            for try await chunk in try contents(of: layer) {
                try chunk.withUnsafeReadableBytes { bytes in
                    if !started {
                        // Recognised by their magic numbers, as Docker does, whatever the media type says.
                        started = true
                        if bytes.starts(with: [0x1f, 0x8b]) { decompressor = try GzipInflater() }
                        if bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { decompressor = try ZstdDecompressor() }
                    }
                    if let decompressor { try decompressor.decompress(bytes, take) } else { try take(bytes) }
                }
            }
            try decompressor?.finish()
            try scanner.finish()
        } catch let error as TarScanner.Malformed {
            throw LayoutError.corruptLayer(layer: layer.digest, reason: error.description)
        } catch let error as DecompressionFailed {
            throw LayoutError.corruptLayer(layer: layer.digest, reason: error.description)
        }
        let actual = hasher.finalize()
        if let diffID, diffID != actual {
            throw LayoutError.diffIDMismatch(layer: layer.digest, expected: diffID, actual: actual)
        }
        return LayerSizes(tar: tarBytes, unpacked: scanner.unpacked, entries: scanner.entries, diffID: actual)
    }
}
