import HTTP1Client
import NIOCore
import NIOHTTP1
import OCIModel
import Synchronization
import Testing

@testable import RegistryClient

/// Resuming a blob download that broke off (RFC 9110 §14: `Range`, `206`, `Content-Range`),
/// against answers scripted byte for byte.
@Suite struct BlobResumeTests {
    static let content = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    static let descriptor = Descriptor(
        mediaType: MediaType.ociLayerGzip, digest: SHA256.digest(of: content), size: Int64(content.count))
    static let reference = Reference(registry: "127.0.0.1:5000", repository: "test/app", tag: "1", digest: nil)

    /// Fetches the blob, returning the bytes consumed (after the last restart) and how often it restarted.
    func fetch(with exchange: ScriptedExchange) async throws -> (bytes: [UInt8], restarts: Int) {
        let consumed = Mutex<([UInt8], Int)>(([], 0))
        try await exchange.client().fetchBlob(
            Self.descriptor, from: Self.reference,
            restart: { consumed.withLock { $0 = ([], $0.1 + 1) } },
            into: { chunk in consumed.withLock { $0.0 += Array(chunk.readableBytesView) } })
        return consumed.withLock { ($0.0, $0.1) }
    }

    @Test func aBrokenDownloadAsksForTheRestAndTakesTheMatching206() async throws {
        let exchange = ScriptedExchange { request, number in
            switch number {
            case 0: return HTTPResponse(status: .ok, body: bodyBreakingOff(after: Array(Self.content[..<400])))
            default:
                return HTTPResponse(
                    status: .partialContent, headers: ["Content-Range": "bytes 400-999/1000"],
                    body: .bytes(ByteBuffer(bytes: Self.content[400...])))
            }
        }
        let (bytes, restarts) = try await fetch(with: exchange)
        #expect(bytes == Self.content)
        #expect(restarts == 0)
        #expect(exchange.requests.map { $0.header("Range") } == [nil, "bytes=400-"])
        #expect(exchange.requests.allSatisfy { $0.url.hasSuffix("/v2/test/app/blobs/\(Self.descriptor.digest)") })
    }

    /// A registry that ignores `Range` (a 200), or answers for other bytes: the blob starts again
    /// from its first byte, and the consumer is told to forget what it had.
    @Test(arguments: [
        (HTTPResponseStatus.ok, nil as String?),
        (HTTPResponseStatus.partialContent, "bytes 300-999/1000" as String?),
    ])
    func anAnswerThatIsNotTheRestStartsTheBlobAgain(status: HTTPResponseStatus, contentRange: String?) async throws {
        let exchange = ScriptedExchange { request, number in
            switch number {
            case 0: return HTTPResponse(status: .ok, body: bodyBreakingOff(after: Array(Self.content[..<400])))
            case 1 where status == .partialContent:
                return HTTPResponse(
                    status: .partialContent, headers: ["Content-Range": contentRange ?? ""],
                    body: .bytes(ByteBuffer(bytes: Self.content[300...])))
            default: return HTTPResponse(status: .ok, body: .bytes(ByteBuffer(bytes: Self.content)))
            }
        }
        let (bytes, restarts) = try await fetch(with: exchange)
        #expect(bytes == Self.content)
        #expect(restarts == 1)
        let ranges = exchange.requests.map { $0.header("Range") }
        #expect(ranges == (status == .ok ? [nil, "bytes=400-"] : [nil, "bytes=400-", nil]))
    }

    @Test func aDownloadThatKeepsBreakingFailsAfterThePolicysTriesSayingWhere() async throws {
        let exchange = ScriptedExchange { request, number in
            let start = number * 100
            return HTTPResponse(
                status: number == 0 ? .ok : .partialContent,
                headers: number == 0 ? [:] : ["Content-Range": "bytes \(start)-999/1000"],
                body: bodyBreakingOff(after: Array(Self.content[start..<start + 100])))
        }
        await #expect {
            try await fetch(with: exchange)
        } throws: { error in
            guard case RegistryError.unreachable(let registry, _, let reason) = error else { return false }
            return registry == "127.0.0.1:5000" && reason.contains("the download broke off after 300 of 1000 bytes")
        }
        #expect(exchange.requests.count == 3)
    }
}
