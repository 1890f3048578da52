import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Dispatcher {
    /// A task moved: record it, and when it stopped, decide: done, retried, or failed for good.
    public func handle(_ change: TaskStateChange, logger: Logger) async throws {
        guard let identity = change.identity else {
            logger.debug("task event not ours", metadata: ["taskArn": "\(change.taskArn)"])
            return
        }
        var logger = logger
        logger[metadataKey: "wish"] = "\(identity.subject)"
        logger[metadataKey: "attempt"] = "\(identity.attempt)"
        let now = clock.now
        var attempt = AttemptStatus(
            number: identity.attempt, state: .starting, taskArn: change.taskArn,
            startedAt: change.startedAt.flatMap(RFC3339.parse))
        switch change.lastStatus {
        case "RUNNING": attempt.state = .running
        case "STOPPED", "DEPROVISIONING":
            guard change.lastStatus == "STOPPED" else {
                attempt.state = .running
                break
            }
            return try await stopped(change, identity: identity, logger: logger)
        default: break
        }
        try await statuses.merge(WishStatus(id: identity.subject.id, arrayIndex: identity.subject.arrayIndex, updatedAt: now, attempts: [attempt]))
    }

    func stopped(_ change: TaskStateChange, identity: TaskIdentity, logger: Logger) async throws {
        let decided = try await decide(change, identity: identity, logger: logger)
        try await releaseRoom(of: identity, queue: Self.queue(ofGroup: change.group))
        // Only now, with the retry queued or the end's consequences done, may the sweep forget it.
        // The status as the decision left it saves a read; a write since then only costs one.
        try await statuses.merge(
            WishStatus(
                id: identity.subject.id, arrayIndex: identity.subject.arrayIndex, updatedAt: clock.now,
                attempts: [AttemptStatus(number: identity.attempt, state: .submitted, settled: true)]), seen: decided)
        try await store.settle(identity)
    }

    /// Returns the attempt's status as this decision left it, with its version.
    @discardableResult
    func decide(_ change: TaskStateChange, identity: TaskIdentity, logger: Logger) async throws -> StatusStore.Snapshot? {
        let container = change.containers?.first { $0.name == settings.containerName } ?? change.containers?.first
        let exitCode = container?.exitCode
        // The task's result and the status the merge starts from, read together.
        async let resultRead = attemptResult(identity)
        async let seenRead = statuses.snapshot(identity.subject)
        let result = try await resultRead
        let seen = try await seenRead
        // One truth for the outcome: what stopped the attempt outranks the exit code a command chose
        // (a shell `trap` exits 0 on SIGTERM). The task's own result names a timeout or an
        // interruption; a task stopped by ECS, a user or the sweep without a successful result failed.
        let stoppedFromOutside = ["SpotInterruption", "TaskFailedToStart", "TerminationNotice", "UserInitiated", "ServiceSchedulerInitiated"]
            .contains(change.stopCode ?? "")
        let succeeded =
            exitCode == 0 && (result.map { $0.outcome == .succeeded } ?? !stoppedFromOutside)
            && change.stopCode != "SpotInterruption" && change.stopCode != "TaskFailedToStart"
        let reason = Self.reason(exitCode: exitCode, stopCode: change.stopCode, stoppedReason: change.stoppedReason ?? container?.reason, result: result)
        let now = clock.now
        let attempt = AttemptStatus(
            number: identity.attempt, state: succeeded ? .succeeded : .failed, taskArn: change.taskArn,
            startedAt: change.startedAt.flatMap(RFC3339.parse), stoppedAt: change.stoppedAt.flatMap(RFC3339.parse) ?? now,
            exitCode: exitCode, stopCode: change.stopCode, reason: reason)
        var (status, snapshot) = try await statuses.mergeKeepingVersion(
            WishStatus(id: identity.subject.id, arrayIndex: identity.subject.arrayIndex, updatedAt: now, attempts: [attempt]), seen: seen)
        logger.info(
            "task stopped", metadata: ["exitCode": "\(exitCode.map(String.init) ?? "none")", "stopCode": "\(change.stopCode ?? "")", "reason": "\(reason)"])
        if status.isFinal {
            try await afterFinal(status, logger: logger)
            return snapshot
        }
        // The merged status decides, not this event alone: a later attempt, or the task's own report
        // of a success, leaves nothing to retry here.
        guard status.attempts.last?.number == identity.attempt, status.attempts.last?.state == .failed else { return snapshot }
        let spec = try await storedSpec(identity.subject.id) ?? WishSpec(wish: "")
        let action = ExitRule.decide(spec.evaluateOnExit, exitCode: exitCode, reason: reason, statusReason: change.stoppedReason)
        let cancelled = status.cancelRequestedAt != nil
        if identity.attempt < spec.attempts, action == .retry, !cancelled {
            let delay = Backoff.seconds(base: options.retryBaseSeconds, cap: Self.sqsMaxDelaySeconds, jitter: .full, afterFailures: identity.attempt)
            try await enqueue(
                WishMessage(id: identity.subject.id, arrayIndex: identity.subject.arrayIndex, attempt: identity.attempt + 1),
                queue: spec.queue, delaySeconds: delay)
            logger.info("attempt will be retried", metadata: ["nextAttempt": "\(identity.attempt + 1)", "delaySeconds": "\(delay)"])
            return snapshot
        }
        let why =
            cancelled
            ? "cancelled"
            : action == .exit
                ? "attempt \(identity.attempt): \(reason) (evaluateOnExit says EXIT)"
                : "attempt \(identity.attempt) of \(spec.attempts): \(reason)"
        (status, snapshot) = try await statuses.mergeKeepingVersion(
            WishStatus(
                id: identity.subject.id, arrayIndex: identity.subject.arrayIndex, updatedAt: now,
                final: .init(state: .failed, reason: why, at: now)), seen: snapshot)
        try await afterFinal(status, logger: logger)
        return snapshot
    }

    /// The result the task wrote, if it wrote one: it knows "timed out" and "interrupted" best.
    func attemptResult(_ identity: TaskIdentity) async throws -> AttemptResult? {
        try await store.result(identity)
    }

    static func reason(exitCode: Int?, stopCode: String?, stoppedReason: String?, result: AttemptResult?) -> String {
        if let result, result.exitCode == exitCode || exitCode == nil { return result.reason }
        switch stopCode {
        case "SpotInterruption": return "interrupted (Fargate Spot reclaimed the capacity)"
        case "TerminationNotice": return "interrupted (termination notice)"
        case "TaskFailedToStart": return "failed to start: \(stoppedReason ?? "no reason given")"
        case "UserInitiated": return "stopped: \(stoppedReason ?? "by a user")"
        default: break
        }
        if let exitCode { return exitCode == 0 ? "exit code 0" : "exit code \(exitCode)" }
        return stoppedReason ?? "stopped without an exit code"
    }
}
