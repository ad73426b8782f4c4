import OCIModel

extension Descriptor {
    /// A blob and the repository to fetch it from.
    struct WithSource: Sendable {
        var descriptor: Descriptor
        var source: Reference
        var size: Int64 { descriptor.size }
    }
}

extension PullWorkflow {
    /// The bookkeeping of one pull: which blobs are missing, which image owns each (the first
    /// that needs it, which is charged its bytes), and what each image still waits for.
    struct Plan {
        /// Missing blobs, largest first, so that the long downloads start early.
        private(set) var queue: [Descriptor.WithSource] = []
        private var owner: [Digest: Int] = [:]
        private var waiting: [Int: Set<Digest>] = [:]
        private var missing: [Int: [Descriptor]] = [:]
        private var fetched: [Int: Int64] = [:]
        private var failedImages: Set<Int> = []

        /// Adds the blobs of the image at `position`; `isMissing` says which are not cached.
        mutating func add(_ position: Int, blobs: [Descriptor], isMissing: (Digest) -> Bool, source: Reference) {
            waiting[position] = []
            for blob in blobs where owner[blob.digest] != nil || isMissing(blob.digest) {
                waiting[position]!.insert(blob.digest)
                missing[position, default: []].append(blob)
                if owner[blob.digest] == nil {
                    owner[blob.digest] = position
                    queue.append(Descriptor.WithSource(descriptor: blob, source: source))
                }
            }
            queue.sort { $0.size > $1.size }
        }

        /// The missing blobs of each image that misses any.
        func missingByImage() -> [(Int, [Descriptor])] {
            missing.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }

        /// Of `positions`, those that wait for nothing.
        func complete(among positions: [Int]) -> [Int] {
            positions.filter { waiting[$0]?.isEmpty ?? false }
        }

        /// Records a finished download and returns the images it completed (or failed).
        mutating func finished(_ digest: Digest, failed: Bool) -> [Int] {
            if !failed, let position = owner[digest], let blob = missing[position]?.first(where: { $0.digest == digest }) {
                fetched[position, default: 0] += blob.size
            }
            var done: [Int] = []
            for (position, digests) in waiting where digests.contains(digest) {
                waiting[position]!.remove(digest)
                if failed, !failedImages.contains(position) {
                    failedImages.insert(position)
                    done.append(position)
                } else if waiting[position]!.isEmpty, !failedImages.contains(position) {
                    done.append(position)
                }
            }
            return done.sorted()
        }

        /// Bytes fetched for the image at `position` (blobs it owns).
        func fetchedBytes(of position: Int) -> Int64 { fetched[position] ?? 0 }
    }
}
