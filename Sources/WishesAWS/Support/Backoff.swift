/// How long to wait before try n + 1: exponential from `base`, capped, with jitter, as AWS's
/// "Exponential Backoff And Jitter" describes. One helper for every loop that waits and tries
/// again, whether for a lost compare-and-swap, an outage or a message sent back to the queue.
package struct Backoff: Sendable, Equatable {
    package enum Jitter: Sendable, Equatable {
        /// Anywhere in `0 ... ceiling`: racers spread out the most (AWS's "full jitter").
        case full
        /// In `ceiling / 2 ... ceiling`: never much sooner than the ceiling.
        case equal
        /// Exactly the ceiling.
        case none
    }

    package var base: Duration
    package var cap: Duration
    package var jitter: Jitter

    package init(base: Duration, cap: Duration, jitter: Jitter = .full) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The largest wait after `failures` failed tries (1 or more): `base · 2^(failures - 1)`, at most `cap`.
    package func ceiling(afterFailures failures: Int) -> Duration {
        let doublings = min(max(failures - 1, 0), 30)
        return min(base * (1 << doublings), cap)
    }

    /// The wait after `failures` failed tries, jittered.
    package func delay(afterFailures failures: Int) -> Duration {
        let ceiling = ceiling(afterFailures: failures)
        switch jitter {
        case .full: return ceiling * Double.random(in: 0...1)
        case .equal: return ceiling * Double.random(in: 0.5...1)
        case .none: return ceiling
        }
    }

    /// Sleeps the wait after `failures` failed tries; a cancelled task stops waiting and throws.
    package func wait(afterFailures failures: Int) async throws {
        try await Task.sleep(for: delay(afterFailures: failures))
    }

    /// Runs `body` until it succeeds, `shouldRetry` refuses the error, or `maxTries` are spent.
    package func retrying<T: Sendable>(
        maxTries: Int,
        shouldRetry: (any Error, Int) -> Bool,
        _ body: () async throws -> T
    ) async throws -> T {
        var failures = 0
        while true {
            do {
                return try await body()
            } catch {
                failures += 1
                guard failures < maxTries, shouldRetry(error, failures) else { throw error }
                try await wait(afterFailures: failures)
            }
        }
    }

    /// A wait in whole seconds, for an SQS delay: `base` and `cap` in seconds, rounded up.
    package static func seconds(base: Int, cap: Int, jitter: Jitter, afterFailures failures: Int) -> Int {
        let wait = Backoff(base: .seconds(max(0, base)), cap: .seconds(max(0, cap)), jitter: jitter).delay(afterFailures: failures)
        let (seconds, attoseconds) = wait.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}
