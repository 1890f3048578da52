import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What one sweep found and did.
package struct SweepReport: Sendable, Codable, Equatable {
    package var active = 0
    package var timedOut: [String] = []
    package var stuck: [String] = []
    /// Tasks stopped because their wish had already ended or was cancelled.
    package var orphaned: [String] = []
    /// Stopped tasks whose end no event had recorded: handled here instead.
    package var recovered: [String] = []
    /// Attempts whose task ECS no longer knows (stopped over an hour ago, its end never recorded):
    /// failed as lost, and retried by their rules.
    package var lost: [String] = []
    /// Scheduled wishes sent to their queue, delayed until their `notBefore`.
    package var released = 0
}

extension Dispatcher {
    /// The tag that carries an attempt's limit to the sweep, so the sweep needs no read per task.
    static let timeoutTag = "wish-timeout"
    /// ECS's last statuses of a task that has not started its container yet.
    static let beforeRunning: Set<String> = ["PROVISIONING", "PENDING", "ACTIVATING"]

    /// The minute's tick, the backstop of every end:
    /// - attempts running past their timeout are stopped;
    /// - tasks whose wish already ended, or was cancelled, are stopped (a cancel that raced RunTask);
    /// - tasks that stopped a while ago but whose attempt no event recorded (EventBridge lost it, or
    ///   the function failed it past its retries) are handled as their STOPPED event would have been;
    /// - launches that never started are reported.
    ///
    /// ECS is the index of what is in flight: a page of `ListTasks` and one `DescribeTasks` per 100
    /// tasks, instead of an S3 marker written per launch, deleted per stop and read per task per tick.
    /// Stopped tasks stay listed for an hour at least; those that stopped between
    /// `recoverAfterSeconds` and `recoverWithinSeconds` ago are checked, so a missed tick or two misses nothing.
    package func sweep(logger: Logger) async throws -> SweepReport {
        var report = SweepReport()
        do {
            report.released = try await releaseScheduled(logger: logger)
        } catch {
            // The tasks are still looked at; the schedule's entries wait for the next tick.
            logger.warning("cannot list the scheduled wishes", metadata: ["error": "\(error)"])
        }
        var ended: [WishID: Bool] = [:]
        let running = try await tasks(desiredStatus: "RUNNING")
        await reconcileLedgers(inFlight: Set(running.compactMap(\.startedBy)), logger: logger)
        for task in running {
            try await sweep(task, into: &report, logger: logger)
            guard let startedBy = task.startedBy, let identity = TaskIdentity(startedBy: startedBy),
                let arn = task.taskArn
            else { continue }
            if ended[identity.subject.id] == nil {
                let status = try await statuses.read(WishSubject(id: identity.subject.id))
                ended[identity.subject.id] =
                    status.map { $0.isFinal || $0.cancelRequestedAt != nil } ?? false
            }
            if ended[identity.subject.id] == true {
                try await aws.ecs.stopTask(
                    cluster: settings.cluster, task: arn, reason: "cancelled by a user")
                report.orphaned.append(startedBy)
                logger.warning(
                    "task of an ended or cancelled wish stopped",
                    metadata: ["attempt": "\(startedBy)", "taskArn": "\(arn)"])
            }
        }
        let now = clock.now.timeIntervalSince1970
        let stopped = try await tasks(desiredStatus: "STOPPED")
        for task in stopped {
            guard let stoppedAt = task.stoppedAt, now - stoppedAt >= Double(options.recoverAfterSeconds),
                now - stoppedAt <= Double(options.recoverWithinSeconds),
                let change = TaskStateChange(stopped: task), let identity = change.identity
            else { continue }
            let status = try await statuses.read(identity.subject)
            let attempt = status?.attempts.first { $0.number == identity.attempt }
            let retried = status?.attempts.contains { $0.number > identity.attempt } == true
            guard attempt?.settled != true, !retried else { continue }
            var logger = logger
            logger[metadataKey: "wish"] = "\(identity.subject)"
            logger[metadataKey: "attempt"] = "\(identity.attempt)"
            logger.warning(
                "stopped task whose end was never recorded; handling it now",
                metadata: ["taskArn": "\(change.taskArn)"])
            try await self.stopped(change, identity: identity, logger: logger)
            report.recovered.append(identity.startedBy)
        }
        try await sweepInFlight(running: Set(running.compactMap(\.startedBy)), into: &report, logger: logger)
        return report
    }

    /// The attempts launched and not settled whose task ECS does not list as running: stopped, with
    /// the end never recorded (the STOPPED window above covers the last few minutes; this covers a
    /// sweep that was down longer), or forgotten by ECS (an hour after it stopped). Each is described
    /// once more: one ECS still knows as stopped is handled as its STOPPED event would have been, with
    /// its real exit and stop codes; one ECS answers MISSING for is failed as lost (judged by the
    /// result the task wrote, if it wrote one) and retried by its rules. Settled attempts only lose
    /// their entry. One entry that fails is left for the next tick; the others go on.
    func sweepInFlight(running: Set<String>, into report: inout SweepReport, logger: Logger) async throws {
        let cutoff = clock.now.addingTimeInterval(-Double(options.recoverAfterSeconds))
        var candidates: [(key: String, identity: TaskIdentity)] = []
        for object in try await store.objects.listAll(prefix: layout.inFlightPrefix) {
            let startedBy = String(object.key.dropFirst(layout.inFlightPrefix.count))
            guard !running.contains(startedBy), let identity = TaskIdentity(startedBy: startedBy),
                let written = object.lastModified, written < cutoff
            else { continue }
            candidates.append((object.key, identity))
        }
        for chunk in stride(from: 0, to: candidates.count, by: 100).map({ Array(candidates[$0..<min($0 + 100, candidates.count)]) }) {
            var arns: [String: (key: String, identity: TaskIdentity)] = [:]
            for entry in chunk {
                do {
                    let status = try await statuses.read(entry.identity.subject)
                    let attempt = status?.attempts.first { $0.number == entry.identity.attempt }
                    if attempt?.settled == true || status?.attempts.contains(where: { $0.number > entry.identity.attempt }) == true {
                        try await store.objects.delete(entry.key)
                        continue
                    }
                    guard let object = try await store.objects.get(entry.key) else { continue }
                    arns[String(decoding: object.body, as: UTF8.self)] = entry
                } catch {
                    logger.warning(
                        "in-flight attempt not checked; the next sweep will", metadata: ["attempt": "\(entry.identity.startedBy)", "error": "\(error)"])
                }
            }
            guard !arns.isEmpty else { continue }
            let described = try await aws.ecs.describeTasks(cluster: settings.cluster, tasks: arns.keys.sorted())
            let missing = Set((described.failures ?? []).filter { $0.reason == "MISSING" }.compactMap(\.arn))
            for (arn, entry) in arns.sorted(by: { $0.key < $1.key }) {
                var logger = logger
                logger[metadataKey: "wish"] = "\(entry.identity.subject)"
                logger[metadataKey: "attempt"] = "\(entry.identity.attempt)"
                do {
                    if let task = (described.tasks ?? []).first(where: { $0.taskArn == arn }) {
                        // Running, or stopped so lately that its event may still come: not ours to judge yet.
                        guard let change = TaskStateChange(stopped: task), let stoppedAt = task.stoppedAt,
                            Date(timeIntervalSince1970: stoppedAt) < cutoff
                        else { continue }
                        logger.warning("stopped task whose end was never recorded; handling it now", metadata: ["taskArn": "\(arn)"])
                        try await stopped(change, identity: entry.identity, logger: logger)
                        report.recovered.append(entry.identity.startedBy)
                    } else if missing.contains(arn) {
                        let result = try await attemptResult(entry.identity)
                        var change = TaskStateChange(taskArn: arn, lastStatus: "STOPPED")
                        change.startedBy = entry.identity.startedBy
                        change.stopCode = "TaskLost"
                        change.stoppedReason = "ECS no longer knows the task: it stopped over an hour ago and no event or sweep recorded its end"
                        change.containers = [.init(name: settings.containerName, exitCode: result?.exitCode, reason: nil, lastStatus: "STOPPED")]
                        logger.warning("task lost: ECS no longer knows it; judging the attempt by its result", metadata: ["taskArn": "\(arn)"])
                        try await stopped(change, identity: entry.identity, logger: logger)
                        report.lost.append(entry.identity.startedBy)
                    }
                } catch {
                    logger.warning("in-flight attempt not settled; the next sweep will try again", metadata: ["taskArn": "\(arn)", "error": "\(error)"])
                }
            }
        }
    }

    /// Our cluster's tasks of one desired status, described (with tags) 100 at a time.
    func tasks(desiredStatus: String) async throws -> [ECS.Task] {
        var tasks: [ECS.Task] = []
        var token: String?
        repeat {
            let page = try await aws.ecs.listTasks(
                ECS.ListTasksInput(
                    cluster: settings.cluster, desiredStatus: desiredStatus, nextToken: token, maxResults: 100
                ))
            token = page.nextToken
            if let arns = page.taskArns, !arns.isEmpty {
                tasks += try await aws.ecs.describeTasks(cluster: settings.cluster, tasks: arns).tasks ?? []
            }
        } while token != nil
        return tasks
    }

    func sweep(_ task: ECS.Task, into report: inout SweepReport, logger: Logger) async throws {
        guard let startedBy = task.startedBy, TaskIdentity(startedBy: startedBy) != nil,
            let taskArn = task.taskArn,
            let createdAt = task.createdAt
        else { return }
        report.active += 1
        let now = clock.now.timeIntervalSince1970
        let age = now - createdAt
        let timeout = task.tags?.first { $0.key == Self.timeoutTag }.flatMap { Int($0.value) }
        // As in AWS Batch, an attempt's limit counts from when it started running, not from its launch.
        if let timeout, let startedAt = task.startedAt, now - startedAt > Double(timeout) {
            // The task enforces its own timeout; this is the backstop when it cannot.
            try await aws.ecs.stopTask(
                cluster: settings.cluster, task: taskArn, reason: "timed out after \(timeout) s")
            report.timedOut.append(startedBy)
            logger.warning(
                "attempt timed out; task stopped",
                metadata: ["attempt": "\(startedBy)", "taskArn": "\(taskArn)"])
        } else if age > Double(options.stuckSeconds), let state = task.lastStatus,
            Self.beforeRunning.contains(state)
        {
            report.stuck.append(startedBy)
            logger.warning(
                "attempt stuck before RUNNING",
                metadata: ["attempt": "\(startedBy)", "state": "\(state)", "ageSeconds": "\(Int(age))"])
        }
    }
}

extension TaskStateChange {
    /// The STOPPED event a described task would have sent, for the sweep to handle a lost one.
    init?(stopped task: ECS.Task) {
        guard let arn = task.taskArn, task.lastStatus == "STOPPED" else { return nil }
        self.init(taskArn: arn, lastStatus: "STOPPED")
        clusterArn = task.clusterArn
        desiredStatus = task.desiredStatus
        stopCode = task.stopCode
        stoppedReason = task.stoppedReason
        startedBy = task.startedBy
        group = task.group
        containers = task.containers?.map {
            Container(name: $0.name, exitCode: $0.exitCode, reason: $0.reason, lastStatus: $0.lastStatus)
        }
        startedAt = task.startedAt.map { RFC3339.format(Date(timeIntervalSince1970: $0)) }
        stoppedAt = task.stoppedAt.map { RFC3339.format(Date(timeIntervalSince1970: $0)) }
    }
}
