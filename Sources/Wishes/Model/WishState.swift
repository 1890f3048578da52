/// AWS Batch's job states, in the order a wish moves through them.
public enum WishState: String, Sendable, Codable, CaseIterable, Comparable {
    case submitted = "SUBMITTED"
    /// Waiting for its `notBefore` time or its dependencies.
    case pending = "PENDING"
    /// `RunTask` accepted; waiting for Fargate capacity.
    case runnable = "RUNNABLE"
    case starting = "STARTING"
    case running = "RUNNING"
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"

    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public var isFinal: Bool { self == .succeeded || self == .failed }
    public static func < (lhs: WishState, rhs: WishState) -> Bool { lhs.rank < rhs.rank }
}
