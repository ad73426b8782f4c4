import Foundation
import OCIModel
import Testing

@Suite struct HostileDocumentTests {
    static let digest = "sha256:" + String(repeating: "a", count: 64)

    func manifest(layerSize: String) -> [UInt8] {
        Array(
            """
            {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "\(Self.digest)", "size": 2},
             "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "\(Self.digest)", "size": \(layerSize)}]}
            """.utf8)
    }

    @Test(arguments: ["-1", "9223372036854775807", "1099511627777"])
    func sizesBelowZeroOrBeyondATebibyteAreRefused(size: String) {
        #expect {
            try ManifestDocument.decode(manifest(layerSize: size), contentType: nil)
        } throws: { error in
            String(describing: error).contains("layers[0].size: the size \(size) of \(Self.digest) is")
        }
    }

    @Test func aTebibyteIsTheLargestSize() throws {
        guard case .image(let manifest) = try ManifestDocument.decode(manifest(layerSize: "1099511627776"), contentType: nil)
        else { Issue.record("not an image manifest"); return }
        #expect(manifest.layers[0].size == Descriptor.maximumSize)
    }

    @Test(arguments: ["text/html", "text/html; charset=utf-8", "application/vnd.oci.image.layer.v1.tar", "image/png"])
    func aManifestServedAsAnotherTypeIsRefused(contentType: String) {
        #expect {
            try ManifestDocument.decode(manifest(layerSize: "1"), contentType: contentType)
        } throws: { error in
            String(describing: error).contains("which is not a manifest media type")
        }
    }

    @Test(arguments: ["", ";", " ; charset=utf-8", "application/json", "APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON"])
    func contentTypesThatSayNothingOrTheSameLeaveItToTheDocument(contentType: String) throws {
        guard case .image = try ManifestDocument.decode(manifest(layerSize: "1"), contentType: contentType) else {
            Issue.record("not an image manifest")
            return
        }
    }

    @Test func aDocumentThatDeclaresAnotherMediaTypeIsRefused() {
        let bytes = Array(#"{"schemaVersion": 2, "mediaType": "text/html", "manifests": []}"#.utf8)
        #expect {
            try ManifestDocument.decode(bytes, contentType: nil)
        } throws: { error in
            String(describing: error).contains("its mediaType 'text/html' is not a manifest media type")
        }
    }

    @Test func duplicateKeysInAManifestOrConfigAreRefused() {
        let manifest = Array(#"{"schemaVersion": 2, "manifests": [], "manifests": []}"#.utf8)
        #expect(throws: ManifestDecodingError.self) { try ManifestDocument.decode(manifest, contentType: nil) }
        let config = Array(#"{"architecture": "amd64", "os": "linux", "os": "windows", "rootfs": {"type": "layers", "diff_ids": []}}"#.utf8)
        #expect {
            try ImageConfig.decode(config)
        } throws: { error in
            String(describing: error).contains("os: the key 'os' appears twice")
        }
    }
}
