import Foundation
import WishesAWS

/// Fargate's task launch rate limit: a bucket of `capacity` tokens refilled at `rate` per second.
struct LaunchBucket: Sendable {
    let capacity: Double
    let rate: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(capacity: Double, rate: Double) {
        self.capacity = capacity
        self.rate = rate
        tokens = capacity
        last = .now
    }

    mutating func take(_ count: Double = 1) -> Bool {
        let now = ContinuousClock.now
        let elapsed = now - last
        tokens = min(capacity, tokens + (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * rate)
        last = now
        guard tokens >= count else { return false }
        tokens -= count
        return true
    }
}
