import Synchronization
import Testing

@testable import ImagesKit

/// The one bounded-concurrency helper every workflow fans out through.
@Suite struct SlidingWindowTests {
    /// How many operations run at once, and the most that ever did.
    final class Gauge: Sendable {
        private let state = Mutex((running: 0, most: 0))
        func enter() { state.withLock { $0.running += 1; $0.most = max($0.most, $0.running) } }
        func leave() { state.withLock { $0.running -= 1 } }
        var most: Int { state.withLock { $0.most } }
    }

    @Test(arguments: [1, 3, 8])
    func neverRunsMoreThanItsWidthAndKeepsEveryOutcomeInPlace(width: Int) async {
        let gauge = Gauge()
        let outcomes = await SlidingWindow.map(Array(0..<40), width: width) { number in
            gauge.enter()
            defer { gauge.leave() }
            try await Task.sleep(for: .milliseconds(number % 3))
            if number % 7 == 0 { throw Odd(number: number) }
            return number * 2
        }
        #expect(gauge.most <= width)
        #expect(gauge.most == width, "with 40 operations, the window fills")
        for (number, outcome) in outcomes.enumerated() {
            switch outcome {
            case .success(let doubled): #expect(number % 7 != 0 && doubled == number * 2)
            case .failure(let error): #expect(error as? Odd == Odd(number: number))
            }
        }
    }

    @Test func startsNoMoreOperationsThanItHasElements() async {
        let gauge = Gauge()
        let outcomes = await SlidingWindow.map([1, 2], width: 64) { number in
            gauge.enter()
            defer { gauge.leave() }
            return number
        }
        #expect(outcomes.count == 2 && gauge.most <= 2)
        #expect(await SlidingWindow.map([Int](), width: 8) { $0 }.isEmpty)
    }

    @Test func aThrowingCompletionEndsTheRunAndCancelsWhatIsRunning() async {
        let cancelled = Mutex(0)
        let started = Mutex(0)
        await #expect(throws: Odd(number: 0)) {
            try await SlidingWindow.run(
                Array(0..<100), width: 4,
                operation: { number in
                    started.withLock { $0 += 1 }
                    guard number != 0 else { return number }
                    do {
                        try await Task.sleep(for: .seconds(30))
                    } catch {
                        cancelled.withLock { $0 += 1 }
                        throw error
                    }
                    return number
                }
            ) { number, _ in
                throw Odd(number: number)
            }
        }
        #expect(started.withLock { $0 } <= 5, "no operation starts after the run ends")
        #expect(cancelled.withLock { $0 } >= 3, "the ones sleeping were cancelled, not waited for")
    }

    struct Odd: Error, Equatable { var number: Int }
}
