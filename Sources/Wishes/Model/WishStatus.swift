#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What is known of one wish (or one array child), as the three writers (web, dispatcher, task)
/// report it, in any order.
///
/// Reports join with `merge`, which is commutative, associative and idempotent: however reports
/// arrive (late, repeated, out of order), the result is the same and `progress` never goes down.
public struct WishStatus: Sendable, Codable, Equatable {
    public var id: WishID
    public var arrayIndex: Int?
    public var createdAt: Date?
    public var updatedAt: Date?
    /// Why the wish waits (its time, its dependencies), while it has no attempt yet.
    public var pending: Mark?
    public var attempts: [AttemptStatus]
    /// The end, when it is decided other than by the last attempt: no attempts left, cancelled, invalid, not queued.
    public var final: Mark?
    public var cancelRequestedAt: Date?
    /// The callback's delivery, for a wish that names one, once it has ended.
    public var callback: CallbackStatus?

    public struct Mark: Sendable, Codable, Equatable {
        public var state: WishState
        public var reason: String
        public var at: Date
        public init(state: WishState, reason: String, at: Date) {
            self.state = state
            self.reason = reason
            self.at = at
        }
    }

    public init(
        id: WishID, arrayIndex: Int? = nil, createdAt: Date? = nil, updatedAt: Date? = nil, pending: Mark? = nil,
        attempts: [AttemptStatus] = [], final: Mark? = nil, cancelRequestedAt: Date? = nil, callback: CallbackStatus? = nil
    ) {
        self.id = id
        self.arrayIndex = arrayIndex
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.pending = pending
        self.attempts = attempts.sorted { $0.number < $1.number }
        self.final = final
        self.cancelRequestedAt = cancelRequestedAt
        self.callback = callback
    }

    /// The state a person reads.
    public var state: WishState {
        if let final { return final.state }
        if let last = attempts.last {
            // A failed attempt without a final mark is waiting for its retry.
            return last.state == .failed ? .runnable : last.state
        }
        return pending == nil ? .submitted : .pending
    }

    /// The reason shown with the state.
    public var statusReason: String? {
        if let final { return final.reason }
        if let last = attempts.last { return last.state == .failed ? "retrying after: \(last.reason ?? "failure")" : last.reason }
        return pending?.reason
    }

    public var isFinal: Bool { state.isFinal }

    /// Ordered progress: decided, then later attempts, then later states within an attempt.
    public var progress: [Int] {
        [final == nil ? 0 : 1, attempts.last?.number ?? 0, attempts.last?.state.rank ?? (pending == nil ? 0 : 1)]
    }

    public func merged(with other: WishStatus) -> WishStatus {
        var byNumber: [Int: AttemptStatus] = [:]
        for attempt in attempts + other.attempts {
            byNumber[attempt.number] = byNumber[attempt.number].map { $0.merged(with: attempt) } ?? attempt
        }
        return WishStatus(
            id: id,
            arrayIndex: arrayIndex ?? other.arrayIndex,
            createdAt: Merge.smaller(createdAt, other.createdAt),
            updatedAt: Merge.larger(updatedAt, other.updatedAt),
            pending: Self.later(pending, other.pending),
            attempts: Array(byNumber.values),
            final: Self.earlier(final, other.final),
            cancelRequestedAt: Merge.smaller(cancelRequestedAt, other.cancelRequestedAt),
            callback: CallbackStatus.merged(callback, other.callback)
        )
    }

    public mutating func merge(_ other: WishStatus) {
        self = merged(with: other)
    }

    /// Pending reasons change as the wait goes on: the newest one holds.
    static func later(_ a: Mark?, _ b: Mark?) -> Mark? {
        guard let a else { return b }
        guard let b else { return a }
        if a.at != b.at { return a.at > b.at ? a : b }
        return a.outranks(b) ? a : b
    }

    /// The end is decided once: the first decision holds.
    static func earlier(_ a: Mark?, _ b: Mark?) -> Mark? {
        guard let a else { return b }
        guard let b else { return a }
        if a.at != b.at { return a.at < b.at ? a : b }
        return a.outranks(b) ? a : b
    }
}

extension WishStatus.Mark {
    /// A total order for ties in time, so merging stays symmetric.
    func outranks(_ other: Self) -> Bool {
        state != other.state ? state > other.state : reason >= other.reason
    }
}
