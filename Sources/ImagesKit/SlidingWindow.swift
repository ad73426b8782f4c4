/// Bounded concurrency for the workflows: downloads, uploads, layer measurements, tag checks,
/// manifest fetches and puts go through here rather than through task groups of their own.
enum SlidingWindow {
    /// Runs `operation` on each element, at most `width` at once, started in the elements'
    /// order, and hands each outcome to `completed` as it arrives (in the order they finish), on
    /// the calling task, one at a time. When `completed` throws, the run ends with that error and
    /// the operations still running are cancelled.
    ///
    /// Outcomes travel as `Result`s made by ``Swift/Result/init(catching:)`` before they join a
    /// tuple: see there for the miscompile this shape avoids.
    static func run<Element: Sendable, Output: Sendable>(
        _ elements: [Element], width: Int,
        operation: @escaping @Sendable (Element) async throws -> Output,
        completed: (Element, Result<Output, any Error>) async throws -> Void
    ) async throws {
        guard !elements.isEmpty else { return }
        try await withThrowingTaskGroup(of: (Int, Result<Output, any Error>).self) { group in
            var next = 0
            func startNext() {
                guard next < elements.count else { return }
                let position = next
                let element = elements[position]
                next += 1
                group.addTask {
                    let outcome = await Result { try await operation(element) }
                    return (position, outcome)
                }
            }
            for _ in 0..<min(max(1, width), elements.count) { startNext() }
            while let (position, outcome) = try await group.next() {
                startNext()
                try await completed(elements[position], outcome)
            }
        }
    }

    /// The outcome of `operation` on each element, in the elements' order, at most `width` at once.
    static func map<Element: Sendable, Output: Sendable>(
        _ elements: [Element], width: Int, _ operation: @escaping @Sendable (Element) async throws -> Output
    ) async -> [Result<Output, any Error>] {
        var outcomes = [Result<Output, any Error>?](repeating: nil, count: elements.count)
        let positions = Array(elements.indices)
        // `completed` never throws here, so neither does the run.
        try? await run(positions, width: width, operation: { try await operation(elements[$0]) }) { position, outcome in
            outcomes[position] = outcome
        }
        return outcomes.map { $0! }
    }
}
