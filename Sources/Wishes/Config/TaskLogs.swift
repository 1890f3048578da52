/// An attempt's CloudWatch log stream, as ECS's awslogs driver names it:
/// `{awslogs-stream-prefix}/{container name}/{task id}`, in the task definition's log group.
public struct TaskLogs: Sendable, Equatable {
    public static let defaultGroup = "/wishes/count-to-three"
    public static let defaultStreamPrefix = "wish"

    public var group: String
    public var streamPrefix: String
    public var containerName: String
    public var region: String

    public init(
        group: String = TaskLogs.defaultGroup, streamPrefix: String = TaskLogs.defaultStreamPrefix, containerName: String = DeployedNames.container,
        region: String = "us-east-1"
    ) {
        self.group = group
        self.streamPrefix = streamPrefix
        self.containerName = containerName
        self.region = region
    }

    /// The stream of the task `taskArn` names (its id is the ARN's last part).
    public func stream(taskArn: String) -> String? {
        guard let id = taskArn.split(separator: "/").last, !id.isEmpty, taskArn.hasPrefix("arn:") else { return nil }
        return "\(streamPrefix)/\(containerName)/\(id)"
    }

    /// The CloudWatch console's page for the stream. The console escapes a path's `/` as `$252F`
    /// (`%2F`, itself percent-encoded once more, with `$` for `%`).
    public func consoleURL(taskArn: String) -> String? {
        guard let stream = stream(taskArn: taskArn) else { return nil }
        func escaped(_ text: String) -> String {
            var out = ""
            for byte in text.utf8 {
                let scalar = Unicode.Scalar(byte)
                if ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar) {
                    out.unicodeScalars.append(scalar)
                } else {
                    let hex = String(byte, radix: 16, uppercase: true)
                    out += "$25" + (hex.count == 1 ? "0" + hex : hex)
                }
            }
            return out
        }
        return
            "https://\(region).console.aws.amazon.com/cloudwatch/home?region=\(region)#logsV2:log-groups/log-group/\(escaped(group))/log-events/\(escaped(stream))"
    }
}
