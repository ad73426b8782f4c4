import OCIModel
import Testing

@testable import ImagesKit

/// The bookkeeping of a pull, without a registry: what is fetched, in which order, charged to
/// which image, and when each image is done.
@Suite struct PullPlanTests {
    static func blob(_ byte: UInt8, size: Int64) -> Descriptor {
        Descriptor(mediaType: MediaType.ociLayerGzip, digest: SHA256.digest(of: [byte]), size: size)
    }
    static let source = Reference(registry: "127.0.0.1:5000", repository: "test/app", tag: "1", digest: nil)
    let base = blob(1, size: 100)
    let big = blob(2, size: 900)
    let small = blob(3, size: 10)
    let cached = blob(4, size: 50)

    /// Two images sharing `base`; `cached` is already there.
    func plan() -> PullWorkflow.Plan {
        var plan = PullWorkflow.Plan()
        plan.add(0, blobs: [base, small, cached], isMissing: { $0 != cached.digest }, source: Self.source)
        plan.add(1, blobs: [base, big], isMissing: { $0 != cached.digest }, source: Self.source)
        return plan
    }

    @Test func aSharedBlobIsFetchedOnceAndTheLargestFirst() {
        let plan = plan()
        #expect(plan.queue.map(\.descriptor.digest) == [big.digest, base.digest, small.digest])
        #expect(plan.missingByImage().map(\.0) == [0, 1])
        #expect(plan.missingByImage().map { $0.1.map(\.digest) } == [[base.digest, small.digest], [base.digest, big.digest]])
    }

    @Test func eachImageIsDoneWhenItsLastBlobIsAndIsChargedWhatItOwns() {
        var plan = plan()
        #expect(plan.complete(among: [0, 1]).isEmpty)
        #expect(plan.finished(small.digest, failed: false) == [])
        #expect(plan.finished(base.digest, failed: false) == [0])
        #expect(plan.finished(big.digest, failed: false) == [1])
        // The shared blob is charged to the first image that needed it.
        #expect(plan.fetchedBytes(of: 0) == 110)
        #expect(plan.fetchedBytes(of: 1) == 900)
    }

    @Test func aFailedBlobFailsEveryImageWaitingForItOnce() {
        var plan = plan()
        #expect(plan.finished(base.digest, failed: true) == [0, 1])
        #expect(plan.finished(small.digest, failed: false) == [])
        #expect(plan.finished(big.digest, failed: false) == [])
        #expect(plan.fetchedBytes(of: 0) == 10)
    }

    @Test func anImageWithEverythingCachedIsCompleteAtOnce() {
        var plan = PullWorkflow.Plan()
        plan.add(0, blobs: [cached], isMissing: { _ in false }, source: Self.source)
        #expect(plan.queue.isEmpty)
        #expect(plan.complete(among: [0]) == [0])
    }
}
