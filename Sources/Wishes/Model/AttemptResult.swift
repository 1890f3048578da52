#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How one attempt ended, as the task itself writes it (`attempts/{n}/result.json`).
public struct AttemptResult: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        case succeeded, failed
        case timedOut = "timed out"
        case interrupted
    }

    public var outcome: Outcome
    public var exitCode: Int
    /// In words: "counted to three", "exit code 2", "timed out after 60 s", "interrupted (SIGTERM)".
    public var reason: String
    public var startedAt: Date
    public var stoppedAt: Date
    public var durationSeconds: Double
    public var outputBytes: Int
    public var outputTruncated: Bool
    /// What the default work says: the wish and the counting.
    public var message: String?

    public init(
        outcome: Outcome, exitCode: Int, reason: String, startedAt: Date, stoppedAt: Date, outputBytes: Int, outputTruncated: Bool, message: String? = nil
    ) {
        self.outcome = outcome
        self.exitCode = exitCode
        self.reason = reason
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.durationSeconds = stoppedAt.timeIntervalSince(startedAt)
        self.outputBytes = outputBytes
        self.outputTruncated = outputTruncated
        self.message = message
    }
}
