/// The four job queues: priority (asap first) × capacity (Spot or on-demand Fargate).
public enum WishQueue: String, Sendable, Codable, CaseIterable {
    case `default` = "default"
    case asap = "asap"
    case defaultUninterruptible = "default-uninterruptible"
    case asapUninterruptible = "asap-uninterruptible"

    /// asap queues go to the `wishes-asap` SQS queue, which the dispatcher drains first.
    public var isASAP: Bool { self == .asap || self == .asapUninterruptible }
    /// Interruptible queues run on Fargate Spot and may be stopped with two minutes' notice.
    public var isInterruptible: Bool { self == .default || self == .asap }
    public var capacityProvider: String { isInterruptible ? "FARGATE_SPOT" : "FARGATE" }
}
