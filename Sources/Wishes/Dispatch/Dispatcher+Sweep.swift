import Foundation
import Logging

/// What one sweep found and did.
public struct SweepReport: Sendable, Codable, Equatable {
    public var active = 0
    public var timedOut: [String] = []
    public var stuck: [String] = []
}

extension Dispatcher {
    /// The minute's tick: stops attempts past their timeout and reports launches that never started.
    public func sweep(logger: Logger) async throws -> SweepReport {
        var report = SweepReport()
        let entries = try await aws.s3.listAllObjects(bucket: settings.bucket, prefix: layout.activePrefix, limit: 10_000)
        report.active = entries.count
        let now = clock.now
        for entry in entries {
            guard let object = try await aws.s3.getObjectIfExists(bucket: settings.bucket, key: entry.key),
                  let record = try? WishJSON.decode(LaunchRecord.self, from: object.body), let taskArn = record.taskArn else { continue }
            let age = now.timeIntervalSince(record.claimedAt)
            let name = String(entry.key.dropFirst(layout.activePrefix.count))
            if let timeout = record.timeoutSeconds, age > Double(timeout) {
                // The task enforces its own timeout; this is the backstop when it cannot.
                try await aws.ecs.stopTask(cluster: settings.cluster, task: taskArn, reason: "timed out after \(timeout) s")
                report.timedOut.append(name)
                logger.warning("attempt timed out; task stopped", metadata: ["attempt": "\(name)", "taskArn": "\(taskArn)"])
            } else if age > Double(options.stuckSeconds) {
                let parts = name.split(separator: ".")
                if let id = parts.first.flatMap({ WishID(String($0)) }) {
                    let subject = WishSubject(id: id, arrayIndex: parts.count > 1 ? Int(parts[1]) : nil)
                    if let state = try await statuses.read(subject)?.state, state <= .starting {
                        report.stuck.append(name)
                        logger.warning("attempt stuck before RUNNING", metadata: ["attempt": "\(name)", "state": "\(state.rawValue)", "ageSeconds": "\(Int(age))"])
                    }
                }
            }
        }
        return report
    }
}
