/// One of AWS Batch's `evaluateOnExit` rules: when a failed attempt matches, retry it or stop.
///
/// Patterns match the whole text; a trailing `*` matches any rest. The first matching rule decides;
/// when none matches, the attempt is retried (as Batch does) while attempts remain.
public struct ExitRule: Sendable, Codable, Equatable {
    public enum Action: String, Sendable, Codable, Equatable {
        case retry = "RETRY"
        case exit = "EXIT"
    }

    public var onExitCode: String?
    /// Matched against the attempt's reason ("exit code 2", "timed out after 60 s", ...).
    public var onReason: String?
    /// Matched against ECS's `stoppedReason`.
    public var onStatusReason: String?
    public var action: Action

    public init(onExitCode: String? = nil, onReason: String? = nil, onStatusReason: String? = nil, action: Action) {
        self.onExitCode = onExitCode
        self.onReason = onReason
        self.onStatusReason = onStatusReason
        self.action = action
    }

    public static let maxRules = 5
    public static let maxPatternLength = 512

    func matches(exitCode: Int?, reason: String?, statusReason: String?) -> Bool {
        Self.match(onExitCode, exitCode.map(String.init)) && Self.match(onReason, reason) && Self.match(onStatusReason, statusReason)
    }

    static func match(_ pattern: String?, _ text: String?) -> Bool {
        guard let pattern else { return true }
        guard let text else { return false }
        if pattern.hasSuffix("*") { return text.hasPrefix(pattern.dropLast()) }
        return text == pattern
    }

    /// What the rules say for a failed attempt.
    public static func decide(_ rules: [ExitRule]?, exitCode: Int?, reason: String?, statusReason: String?) -> Action {
        rules?.first { $0.matches(exitCode: exitCode, reason: reason, statusReason: statusReason) }?.action ?? .retry
    }
}
