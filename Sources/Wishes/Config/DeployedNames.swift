import WishesAWS

/// The names the CloudFormation template (`deploy/wishes.yaml`) and the local cloud give the
/// resources; a test holds the template to them.
public enum DeployedNames {
    public static let queue = "wishes"
    public static let asapQueue = "wishes-asap"
    /// Each queue's dead-letter queue is its name with this suffix.
    public static let deadLetterSuffix = "-dlq"
    public static let cluster = "wishes"
    public static let taskFamily = "count-to-three"
    public static let container = "count-to-three"
    /// The Secrets Manager secret callbacks are signed with.
    public static let callbackSecret = "wishes-callback-signing"
    /// Where Lambda puts a task state event that failed all its asynchronous tries (the function's
    /// `EventInvokeConfig` on-failure destination); the function reads it back through its own mapping.
    public static let failedEventsQueue = "wishes-failed-events"
    /// Receives before a message goes to the dead-letter queue.
    public static let maxReceiveCount = 5
    /// The function's `MemorySize`: Lambda gives it memory ÷ 1,769 MB of a vCPU, and so does the local cloud.
    package static let functionMemoryMB = 128
    /// The event pattern of the template's task-state rule, with `{partition}`, `{region}` and
    /// `{account}` to fill in: the local cloud delivers exactly what it matches, as EventBridge does,
    /// and a test holds the template to it.
    public static let taskStateEventPattern = #"""
        {"source":["aws.ecs"],"detail-type":["ECS Task State Change"],"detail":{\#
        "clusterArn":["arn:{partition}:ecs:{region}:{account}:cluster/wishes"],"lastStatus":["PENDING","RUNNING","STOPPED"],\#
        "taskDefinitionArn":[{"prefix":"arn:{partition}:ecs:{region}:{account}:task-definition/count-to-three:"},\#
        {"prefix":"arn:{partition}:ecs:{region}:{account}:task-definition/count-to-three-"}]}}
        """#

    /// `taskStateEventPattern` for one account and region.
    public static func taskStateEventPattern(partition: String = "aws", region: String, account: String) -> String {
        taskStateEventPattern.replacing("{partition}", with: partition)
            .replacing("{region}", with: region).replacing("{account}", with: account)
    }
}
