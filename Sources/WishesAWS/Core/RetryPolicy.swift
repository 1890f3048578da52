import NIOConcurrencyHelpers

/// The SDKs' "standard" retry mode: a few attempts, full-jitter exponential backoff, retries only for
/// throttling, transient and connection errors, and a token bucket so that a failing service is not
/// hammered by every caller at once.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    /// Attempt n waits a random time in `0 ..< min(baseDelay · 2ⁿ⁻¹, maxBackoff)`.
    public var baseDelay: Duration
    public var maxBackoff: Duration
    public let quota: RetryQuota

    public init(maxAttempts: Int = 3, baseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20), quota: RetryQuota = RetryQuota()) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.quota = quota
    }

    public static let standard = RetryPolicy()
    /// One attempt only, for callers that do their own retrying.
    public static let none = RetryPolicy(maxAttempts: 1)

    func delay(beforeAttempt attempt: Int) -> Duration {
        Backoff(base: baseDelay, cap: maxBackoff, jitter: .full).delay(afterFailures: attempt - 1)
    }
}

/// The retry token bucket shared by every client of one process (500 tokens; a retry costs 5,
/// a retry after a timeout 10; a success gives back what its retry took, or 1).
public final class RetryQuota: Sendable {
    public static let capacity = 500
    static let retryCost = 5
    static let timeoutCost = 10

    private let tokens = NIOLockedValueBox(RetryQuota.capacity)

    public init() {}

    public var available: Int { tokens.withLockedValue { $0 } }

    /// Takes the cost of a retry; false when the bucket is empty (no retry then).
    func acquire(timeout: Bool) -> Int? {
        let cost = timeout ? Self.timeoutCost : Self.retryCost
        return tokens.withLockedValue { value in
            guard value >= cost else { return nil }
            value -= cost
            return cost
        }
    }

    func release(_ amount: Int) {
        tokens.withLockedValue { $0 = min(Self.capacity, $0 + amount) }
    }
}
