import Foundation
import NIOCore
import OCIModel

/// One image to put in an archive.
public struct ArchiveImage: Sendable {
    /// The canonical reference (`docker.io/library/postgres:16`), for the OCI index.
    public var reference: Reference
    /// The name Docker shows (`postgres:16`), or nil for an image pinned only by digest.
    public var tag: String?
    /// The image manifest, with its platform.
    public var manifest: Descriptor
    public var config: Descriptor
    public var layers: [Descriptor]

    /// Compressed bytes of config and layers.
    public var size: Int64 { layers.reduce(config.size) { $0 + $1.size } }

    public init(reference: Reference, tag: String?, manifest: Descriptor, config: Descriptor, layers: [Descriptor]) {
        self.reference = reference
        self.tag = tag
        self.manifest = manifest
        self.config = config
        self.layers = layers
    }
}

extension LayoutStore {
    /// A tar of `images` as `docker load` takes it, produced while it is read (no temporary
    /// file): an OCI image layout (`oci-layout`, `index.json` annotated with
    /// `io.containerd.image.name` and `org.opencontainers.image.ref.name`) for the containerd
    /// store, plus a Docker `manifest.json` (`Config`, `RepoTags`, `Layers`) for the classic
    /// store, and each blob once.
    public func archive(of images: [ArchiveImage]) throws -> LayoutArchive {
        var entries: [LayoutArchive.Entry] = [
            .data(name: "oci-layout", bytes: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        ]
        let index = Index(
            manifests: images.map { image in
                var entry = image.manifest
                entry.annotations = [
                    Self.containerdNameAnnotation: image.reference.description,
                    Self.refNameAnnotation: image.reference.description,
                ]
                return entry
            })
        entries.append(.data(name: "index.json", bytes: try Self.encode(index)))
        struct DockerManifest: Encodable {
            var Config: String
            var RepoTags: [String]
            var Layers: [String]
        }
        let path = { (digest: Digest) in "blobs/\(digest.algorithm)/\(digest.encoded)" }
        let dockerManifest = images.map { image in
            DockerManifest(
                Config: path(image.config.digest), RepoTags: image.tag.map { [$0] } ?? [],
                Layers: image.layers.map { path($0.digest) })
        }
        entries.append(.data(name: "manifest.json", bytes: try Self.encode(dockerManifest)))
        var seen: Set<Digest> = []
        for blob in images.flatMap({ [$0.manifest, $0.config] + $0.layers }) where seen.insert(blob.digest).inserted {
            guard hasBlob(blob.digest) else { throw LayoutError.missingBlob(blob.digest) }
            entries.append(.file(name: path(blob.digest), path: blobPath(blob.digest), size: blob.size))
        }
        return LayoutArchive(entries: entries)
    }
}

/// A tar archive produced chunk by chunk as it is read; blobs are read from the cache in
/// 1 MiB pieces, so memory stays bounded whatever the image size.
public struct LayoutArchive: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    enum Entry: Sendable {
        case data(name: String, bytes: [UInt8])
        case file(name: String, path: String, size: Int64)
    }

    let entries: [Entry]

    /// The archive's exact length.
    public var size: Int64 {
        entries.reduce(Int64(Tar.end.count)) { total, entry in
            let size: Int64
            switch entry {
            case .data(_, let bytes): size = Int64(bytes.count)
            case .file(_, _, let fileSize): size = fileSize
            }
            return total + Int64(Tar.blockSize) + size + Int64(Tar.padding(after: size))
        }
    }

    public func makeAsyncIterator() -> Iterator { Iterator(entries: entries) }

    public struct Iterator: AsyncIteratorProtocol {
        private var entries: IndexingIterator<[Entry]>
        private var reading: BlobFile?
        private var ended = false

        init(entries: [Entry]) { self.entries = entries.makeIterator() }

        public mutating func next() async throws -> ByteBuffer? {
            if let file = reading {
                if let chunk = try file.read(upTo: BlobContents.chunkSize) { return chunk }
                reading = nil
                try file.checkComplete()
                let padding = Tar.padding(after: file.size)
                if padding > 0 { return ByteBuffer(repeating: 0, count: padding) }
            }
            guard let entry = entries.next() else {
                if ended { return nil }
                ended = true
                return ByteBuffer(bytes: Tar.end)
            }
            switch entry {
            case let .data(name, bytes):
                var buffer = ByteBuffer(bytes: Tar.header(name: name, size: Int64(bytes.count)))
                buffer.writeBytes(bytes)
                buffer.writeRepeatingByte(0, count: Tar.padding(after: Int64(bytes.count)))
                return buffer
            case let .file(name, path, size):
                reading = try BlobFile(path: path, size: size)
                return ByteBuffer(bytes: Tar.header(name: name, size: size))
            }
        }
    }
}
