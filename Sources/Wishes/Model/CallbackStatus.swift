#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where a wish's callback stands: tried and waiting for its next try, delivered (a 2xx came
/// back), or abandoned (refused by the rules, or out of tries). Shown with the wish's status.
public struct CallbackStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable, Comparable {
        case pending = "PENDING"
        case delivered = "DELIVERED"
        case abandoned = "ABANDONED"

        var rank: Int { [.pending, .delivered, .abandoned].firstIndex(of: self) ?? 0 }
        public static func < (a: State, b: State) -> Bool { a.rank < b.rank }
    }

    public var state: State
    /// Tries made so far.
    public var tries: Int
    /// The receiver's answer to the last try, when it answered.
    public var httpStatus: Int?
    /// Why the last try failed, or why delivery stopped.
    public var reason: String?
    public var at: Date

    public init(state: State, tries: Int, httpStatus: Int? = nil, reason: String? = nil, at: Date) {
        self.state = state
        self.tries = tries
        self.httpStatus = httpStatus
        self.reason = reason
        self.at = at
    }

    /// The furthest report holds: an end over a pending try, then the most tries, then the latest.
    /// Symmetric, so the order reports arrive in never matters.
    static func merged(_ a: CallbackStatus?, _ b: CallbackStatus?) -> CallbackStatus? {
        guard let a else { return b }
        guard let b else { return a }
        let left = (a.state != .pending ? 1 : 0, a.tries, a.at, a.state.rank, a.reason ?? "")
        let right = (b.state != .pending ? 1 : 0, b.tries, b.at, b.state.rank, b.reason ?? "")
        return left >= right ? a : b
    }
}
