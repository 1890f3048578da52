#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One try of a wish (or of one array child): the task that ran it and how it ended.
public struct AttemptStatus: Sendable, Codable, Equatable {
    /// 1-based.
    public var number: Int
    public var state: WishState
    public var taskArn: String?
    public var startedAt: Date?
    public var stoppedAt: Date?
    public var exitCode: Int?
    /// ECS's `stopCode` (SpotInterruption, EssentialContainerExited, ...), when ECS stopped it.
    public var stopCode: String?
    /// Why it ended, in words: "exit code 2", "timed out after 60 s", "interrupted (Spot)".
    public var reason: String?
    /// The dispatcher has handled this attempt's stop to the end (retry queued, or what follows the
    /// wish's end done). Until then the sweep looks for the stopped task in ECS: the task's own
    /// report of its end moves no retry and wakes no dependent.
    public var settled: Bool?

    public init(
        number: Int, state: WishState, taskArn: String? = nil, startedAt: Date? = nil, stoppedAt: Date? = nil,
        exitCode: Int? = nil, stopCode: String? = nil, reason: String? = nil, settled: Bool? = nil
    ) {
        self.number = number
        self.state = state
        self.taskArn = taskArn
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.exitCode = exitCode
        self.stopCode = stopCode
        self.reason = reason
        self.settled = settled
    }

    /// Joins two reports of the same attempt. Every field takes a symmetric choice (the later state,
    /// the earliest start, the latest stop, the larger value), so the order reports arrive in never matters.
    public func merged(with other: AttemptStatus) -> AttemptStatus {
        precondition(number == other.number, "only reports of the same attempt merge")
        let ahead = state >= other.state ? self : other
        let behind = state >= other.state ? other : self
        return AttemptStatus(
            number: number,
            state: max(state, other.state),
            taskArn: Merge.larger(taskArn, other.taskArn),
            startedAt: Merge.smaller(startedAt, other.startedAt),
            stoppedAt: Merge.larger(stoppedAt, other.stoppedAt),
            exitCode: state == other.state ? Merge.larger(exitCode, other.exitCode) : ahead.exitCode ?? behind.exitCode,
            stopCode: state == other.state ? Merge.larger(stopCode, other.stopCode) : ahead.stopCode ?? behind.stopCode,
            reason: state == other.state ? Merge.larger(reason, other.reason) : ahead.reason ?? behind.reason,
            settled: settled == true || other.settled == true ? true : nil
        )
    }
}

enum Merge {
    static func larger<T: Comparable>(_ a: T?, _ b: T?) -> T? {
        guard let a else { return b }
        guard let b else { return a }
        return max(a, b)
    }

    static func smaller<T: Comparable>(_ a: T?, _ b: T?) -> T? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a, b)
    }
}
