import Testing

@testable import Wishes
@testable import WishesAWS

struct BackoffTests {
    struct Flaky: Error {}

    @Test func theCeilingDoublesFromTheBaseUpToTheCap() {
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(1), jitter: .none)
        #expect((1...6).map { backoff.delay(afterFailures: $0) } == [100, 200, 400, 800, 1000, 1000].map { Duration.milliseconds($0) })
        #expect(backoff.delay(afterFailures: 1_000) == .seconds(1), "no overflow however many failures")
    }

    @Test func jitterStaysWithinItsRange() {
        let full = Backoff(base: .seconds(8), cap: .seconds(8), jitter: .full)
        let equal = Backoff(base: .seconds(8), cap: .seconds(8), jitter: .equal)
        for _ in 0..<200 {
            #expect(full.delay(afterFailures: 1) <= .seconds(8))
            #expect(equal.delay(afterFailures: 1) >= .seconds(4) && equal.delay(afterFailures: 1) <= .seconds(8))
        }
        let spread = Set((0..<50).map { _ in full.delay(afterFailures: 1) })
        #expect(spread.count > 1, "full jitter spreads racers apart")
    }

    @Test func sqsDelaysAreWholeSecondsWithinSQSsLimit() {
        for failures in 1...20 {
            let delay = Backoff.seconds(base: 30, cap: 900, jitter: .equal, afterFailures: failures)
            #expect(delay >= min(900, 30 << min(failures - 1, 10)) / 2 && delay <= 900)
        }
        #expect(Backoff.seconds(base: 10, cap: 900, jitter: .none, afterFailures: 3) == 40)
    }

    @Test func retryingStopsAtTheFirstSuccessTheLastTryOrARefusedError() async throws {
        let backoff = Backoff(base: .zero, cap: .zero)
        let always: (any Error, Int) -> Bool = { _, _ in true }
        let never: (any Error, Int) -> Bool = { _, _ in false }
        var calls = 0
        let value = try await backoff.retrying(maxTries: 5, shouldRetry: always) {
            calls += 1
            if calls < 3 { throw Flaky() }
            return calls
        }
        #expect(value == 3)
        calls = 0
        await #expect(throws: Flaky.self) {
            try await backoff.retrying(maxTries: 4, shouldRetry: always) { () async throws -> Int in
                calls += 1
                throw Flaky()
            }
        }
        #expect(calls == 4)
        calls = 0
        await #expect(throws: Flaky.self) {
            try await backoff.retrying(maxTries: 4, shouldRetry: never) { () async throws -> Int in
                calls += 1
                throw Flaky()
            }
        }
        #expect(calls == 1, "an error the caller will not retry ends the loop at once")
    }
}
