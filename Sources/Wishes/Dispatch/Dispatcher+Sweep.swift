import Foundation
import Logging

/// What one sweep found and did.
public struct SweepReport: Sendable, Codable, Equatable {
    public var active = 0
    public var timedOut: [String] = []
    public var stuck: [String] = []
}

extension Dispatcher {
    /// The tag that carries an attempt's limit to the sweep, so the sweep needs no read per task.
    static let timeoutTag = "wish-timeout"
    /// ECS's last statuses of a task that has not started its container yet.
    static let beforeRunning: Set<String> = ["PROVISIONING", "PENDING", "ACTIVATING"]

    /// The minute's tick: stops attempts running past their timeout and reports launches that never started.
    ///
    /// ECS is the index of what is in flight: a page of `ListTasks` and one `DescribeTasks` per 100
    /// tasks, instead of an S3 marker written per launch, deleted per stop and read per task per tick.
    public func sweep(logger: Logger) async throws -> SweepReport {
        var report = SweepReport()
        var token: String?
        repeat {
            let page = try await aws.ecs.listTasks(ECS.ListTasksInput(cluster: settings.cluster, desiredStatus: "RUNNING", nextToken: token, maxResults: 100))
            token = page.nextToken
            let arns = page.taskArns ?? []
            for start in stride(from: 0, to: arns.count, by: 100) {
                let tasks = try await aws.ecs.describeTasks(cluster: settings.cluster, tasks: Array(arns[start..<min(start + 100, arns.count)])).tasks ?? []
                for task in tasks {
                    try await sweep(task, into: &report, logger: logger)
                }
            }
        } while token != nil
        return report
    }

    func sweep(_ task: ECS.Task, into report: inout SweepReport, logger: Logger) async throws {
        guard let startedBy = task.startedBy, TaskIdentity(startedBy: startedBy) != nil, let taskArn = task.taskArn,
              let createdAt = task.createdAt else { return }
        report.active += 1
        let now = clock.now.timeIntervalSince1970
        let age = now - createdAt
        let timeout = task.tags?.first { $0.key == Self.timeoutTag }.flatMap { Int($0.value) }
        // As in AWS Batch, an attempt's limit counts from when it started running, not from its launch.
        if let timeout, let startedAt = task.startedAt, now - startedAt > Double(timeout) {
            // The task enforces its own timeout; this is the backstop when it cannot.
            try await aws.ecs.stopTask(cluster: settings.cluster, task: taskArn, reason: "timed out after \(timeout) s")
            report.timedOut.append(startedBy)
            logger.warning("attempt timed out; task stopped", metadata: ["attempt": "\(startedBy)", "taskArn": "\(taskArn)"])
        } else if age > Double(options.stuckSeconds), let state = task.lastStatus, Self.beforeRunning.contains(state) {
            report.stuck.append(startedBy)
            logger.warning("attempt stuck before RUNNING", metadata: ["attempt": "\(startedBy)", "state": "\(state)", "ageSeconds": "\(Int(age))"])
        }
    }
}
