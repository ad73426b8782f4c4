import HTTP1Client
import Foundation
import LayoutStore
import NIOCore
import NIOHTTP1
import OCIModel
import Testing

@testable import LayoutRegistry

/// A cache holding one image: a 2.5 MB random layer, its config and its manifest.
struct CachedImage {
    let store: LayoutStore
    let manifest: Descriptor
    let manifestBytes: [UInt8]
    let config: Descriptor
    let layer: Descriptor

    init() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)").path
        store = try LayoutStore(root: root)
        var generator = SystemRandomNumberGenerator()
        let layerBytes = (0..<312_500).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64, Array.init) }
        layer = Self.descriptor(MediaType.ociLayerGzip, layerBytes)
        try await store.ingest(layer) { ingest in
            for start in stride(from: 0, to: layerBytes.count, by: 1 << 20) {
                try await ingest.write(ByteBuffer(bytes: layerBytes[start..<min(start + (1 << 20), layerBytes.count)]))
            }
        }
        let configBytes = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        config = Self.descriptor(MediaType.ociConfig, configBytes)
        try store.writeBlob(configBytes, as: config)
        manifestBytes = Array(
            """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)",\
            "config":{"mediaType":"\(MediaType.ociConfig)","digest":"\(config.digest)","size":\(config.size)},\
            "layers":[{"mediaType":"\(MediaType.ociLayerGzip)","digest":"\(layer.digest)","size":\(layer.size)}]}
            """.utf8)
        manifest = Self.descriptor(MediaType.ociManifest, manifestBytes)
        try store.writeBlob(manifestBytes, as: manifest)
    }

    static func descriptor(_ mediaType: String, _ bytes: [UInt8]) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: SHA256.digest(of: bytes), size: Int64(bytes.count))
    }
}

/// One client for the tests' requests.
let sharedClient = HTTPClient()

/// Sends one request and reads the whole answer.
func fetch(_ url: String, _ method: HTTPMethod = .GET, client: HTTPClient = sharedClient) async throws -> (
    status: UInt, headers: HTTPHeaders, body: [UInt8]
) {
    var request = HTTPRequest(url: url)
    request.method = method
    let response = try await client.execute(request, deadline: .now() + .seconds(30))
    let body = try await response.body.collect(upTo: 16 << 20)
    return (response.status.code, response.headers, Array(body.readableBytesView))
}

@Suite struct LayoutRegistryTests {
    @Test func servesTheImageByDigestWithItsMediaTypes() async throws {
        let image = try await CachedImage()
        let registry = LayoutRegistry(store: image.store, serving: [image.manifest, image.config, image.layer])
        try await registry.withServer { address in
            let ping = try await fetch("http://\(address)/v2/")
            #expect(ping.status == 200)
            #expect(ping.headers.first(name: "Docker-Distribution-API-Version") == "registry/2.0")

            let manifestURL = "http://\(address)/v2/library/some/app/manifests/\(image.manifest.digest)"
            let head = try await fetch(manifestURL, .HEAD)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers.first(name: "Content-Type") == MediaType.ociManifest)
            #expect(head.headers.first(name: "Content-Length") == "\(image.manifestBytes.count)")
            #expect(head.headers.first(name: "Docker-Content-Digest") == image.manifest.digest.description)
            #expect(try await fetch(manifestURL).body == image.manifestBytes)

            let layer = try await fetch("http://\(address)/v2/app/blobs/\(image.layer.digest)")
            #expect(layer.status == 200)
            #expect(layer.body.count == 2_500_000)
            #expect(SHA256.digest(of: layer.body) == image.layer.digest)
        }
    }

    @Test func answersWhatItDoesNotServeWithDistributionErrors() async throws {
        let image = try await CachedImage()
        // The layer is in the cache but was not handed to the registry.
        let registry = LayoutRegistry(store: image.store, serving: [image.manifest, image.config])
        try await registry.withServer { address in
            let base = "http://\(address)/v2/app"
            let cases: [(String, HTTPMethod, UInt, String)] = [
                ("\(base)/blobs/\(image.layer.digest)", .GET, 404, "BLOB_UNKNOWN"),
                ("\(base)/manifests/latest", .GET, 404, "MANIFEST_UNKNOWN"),
                ("\(base)/manifests/\(image.config.digest)", .GET, 404, "MANIFEST_UNKNOWN"),
                ("http://\(address)/v2/_catalog", .GET, 404, "NAME_UNKNOWN"),
                ("\(base)/blobs/uploads/", .POST, 405, "UNSUPPORTED"),
                ("\(base)/manifests/\(image.manifest.digest)", .PUT, 405, "UNSUPPORTED"),
            ]
            for (url, method, status, code) in cases {
                let answer = try await fetch(url, method)
                #expect(answer.status == status, "\(method) \(url)")
                #expect(String(decoding: answer.body, as: UTF8.self).contains(#""code":"\#(code)""#), "\(method) \(url)")
            }
        }
    }

    @Test func aBlobShorterThanItsDescriptorBreaksTheAnswer() async throws {
        let image = try await CachedImage()
        var lying = image.layer
        lying.size += 10
        let registry = LayoutRegistry(store: image.store, serving: [lying])
        try await registry.withServer { address in
            await #expect(throws: (any Error).self) {
                try await fetch("http://\(address)/v2/app/blobs/\(image.layer.digest)")
            }
        }
    }

    @Test func stopsListeningWhenTheBodyReturns() async throws {
        let image = try await CachedImage()
        let address = try await LayoutRegistry(store: image.store, serving: []).withServer { address in
            let ping = try await fetch("http://\(address)/v2/")
            #expect(ping.status == 200)
            return address
        }
        await #expect(throws: (any Error).self) { try await fetch("http://\(address)/v2/") }
    }

    @Test(arguments: [
        ("/v2/", Route.ping),
        ("/v2", .ping),
        (
            "/v2/app/manifests/sha256:" + String(repeating: "a", count: 64),
            .manifest(try! .sha256(hex: String(repeating: "a", count: 64)))
        ),
        (
            "/v2/a/b/c/blobs/sha256:" + String(repeating: "b", count: 64) + "?x=1",
            .blob(try! .sha256(hex: String(repeating: "b", count: 64)))
        ),
        ("/v2/blobs/manifests/latest", .manifest(nil)),
        ("/v2/manifests/blobs/sha256:nothex", .blob(nil)),
    ])
    func routes(uri: String, route: Route) {
        #expect(Route(uri: uri) == route)
    }

    @Test(arguments: ["/", "/v1/app/manifests/x", "/v2/manifests/sha256:x", "/v2/app", "/v2/app/tags/list"])
    func unknownRoutes(uri: String) {
        #expect(Route(uri: uri) == nil)
    }
}
