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
    /// Receives before a message goes to the dead-letter queue.
    public static let maxReceiveCount = 5
}
