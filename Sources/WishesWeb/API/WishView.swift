import Foundation
import Wishes

/// A wish as the JSON API shows it: AWS Batch's describe, with values of the environment left out.
struct WishView: Encodable {
    var id: WishID
    var state: WishState
    var statusReason: String?
    var createdAt: Date?
    var updatedAt: Date?
    var spec: WishSpec
    var attempts: [AttemptStatus]
    var results: [String: AttemptResult]?
    var children: [String: Int]?
    var callback: CallbackStatus?
    /// The job definition the wish runs, `name:revision` (the built-in one when it named none).
    var jobDefinition: String
    /// Each launched attempt's CloudWatch log stream, by attempt number.
    var logs: [String: LogStream]?

    struct LogStream: Encodable {
        var group: String
        var stream: String
        var url: String
    }

    init(spec: WishSpec, status: WishStatus, results: [Int: AttemptResult] = [:], children: [WishState: Int] = [:], logs: TaskLogs? = nil) {
        jobDefinition = spec.jobDefinition ?? JobDefinition.builtIn.reference
        if let logs {
            let streams = status.attempts.compactMap { attempt -> (String, LogStream)? in
                guard let arn = attempt.taskArn, let stream = logs.stream(taskArn: arn), let url = logs.consoleURL(taskArn: arn) else { return nil }
                return (String(attempt.number), LogStream(group: logs.group, stream: stream, url: url))
            }
            self.logs = streams.isEmpty ? nil : Dictionary(streams, uniquingKeysWith: { first, _ in first })
        }
        id = status.id
        state = status.state
        statusReason = status.statusReason
        createdAt = status.createdAt
        updatedAt = status.updatedAt
        self.spec = spec.redacted
        attempts = status.attempts
        callback = status.callback
        self.results = results.isEmpty ? nil : Dictionary(uniqueKeysWithValues: results.map { (String($0.key), $0.value) })
        self.children = children.isEmpty ? nil : Dictionary(uniqueKeysWithValues: children.map { ($0.key.rawValue, $0.value) })
    }
}
