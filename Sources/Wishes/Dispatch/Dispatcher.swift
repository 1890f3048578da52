import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The function behind MakeAWish: turns queue messages into Fargate tasks, task events into
/// statuses and retries, and a minute's tick into timeouts.
///
/// Every step is safe to repeat: SQS delivers at least once, EventBridge too. A launch is claimed
/// in S3 (`If-None-Match`) and made with a `clientToken`, so one attempt never starts two tasks.
public struct Dispatcher: Sendable {
    public let aws: AWSClients
    public let settings: WishesSettings
    public var options: DispatcherOptions
    let clock: any WallClock
    /// Every object of every wish: S3 in AWS and the local cloud, memory in unit tests.
    let store: WishStore
    var statuses: StatusStore { store.statuses }
    /// How callback hosts are resolved: the C resolver, or a table in tests.
    package var resolver: any HostResolver = SystemResolver()
    let callbackKey = CallbackKeyCache()
    /// The cluster's load and asap's refusals as this environment last read them.
    let launchGate = LaunchGate()
    /// The task definition registered for each image, kept for the environment's life.
    let taskDefinitions = TaskDefinitionRegistry()

    public init(aws: AWSClients, settings: WishesSettings, options: DispatcherOptions = DispatcherOptions(), clock: any WallClock = SystemClock()) {
        let objects = S3ObjectStorage(s3: aws.s3, bucket: settings.bucket, sensitiveKeyID: settings.secretsKeyID)
        self.init(aws: aws, store: WishStore(objects: objects, layout: settings.layout), settings: settings, options: options, clock: clock)
    }

    /// A dispatcher over any store: the in-memory one in unit tests (SQS and ECS stay `aws`'s).
    package init(
        aws: AWSClients, store: WishStore, settings: WishesSettings, options: DispatcherOptions = DispatcherOptions(), clock: any WallClock = SystemClock()
    ) {
        self.aws = aws
        self.settings = settings
        self.options = options
        self.clock = clock
        self.store = store
    }

    var layout: S3Layout { settings.layout }

    /// Handles one invocation's event and returns the response body.
    public func handle(_ invocation: LambdaInvocation) async throws -> [UInt8] {
        switch try DispatchEvent.decode(invocation.event) {
        case .sqs(let event):
            return try WishJSON.encode(await handle(event, deadline: invocation.deadline, logger: invocation.logger))
        case .taskStateChange(let change):
            try await withinDeadline(of: invocation) { try await handle(change, logger: invocation.logger) }
            return Array("{}".utf8)
        case .scheduled:
            return try WishJSON.encode(await withinDeadline(of: invocation) { try await sweep(logger: invocation.logger) })
        }
    }

    /// Runs `body` with no AWS call waiting past the invocation's deadline (less the margin): a slow
    /// event fails in time for Lambda's retry, instead of being killed with its environment.
    func withinDeadline<T: Sendable>(of invocation: LambdaInvocation, _ body: () async throws -> T) async throws -> T {
        let left = max(0, invocation.deadline.timeIntervalSinceNow - options.deadlineMarginSeconds)
        return try await AWSClient.$deadline.withValue(ContinuousClock.now + .milliseconds(Int64(left * 1000))) { try await body() }
    }

    /// Reads the stored spec (without secrets), or nil when there is none.
    func storedSpec(_ id: WishID) async throws -> WishSpec? {
        try await store.spec(id)
    }

    /// Records the end of a wish decided here (invalid, cancelled, a failed dependency, no attempts left).
    func finish(_ subject: WishSubject, _ state: WishState, reason: String, logger: Logger) async throws {
        let now = clock.now
        let status = try await statuses.merge(
            WishStatus(
                id: subject.id, arrayIndex: subject.arrayIndex, updatedAt: now,
                final: .init(state: state, reason: reason, at: now)))
        logger.info("wish finished", metadata: ["wish": "\(subject)", "state": "\(status.state.rawValue)", "reason": "\(reason)"])
        try await afterFinal(status, logger: logger)
    }

    /// Sends a message, or a delayed one; SQS delays at most 15 minutes, so longer waits hop.
    func enqueue(_ message: WishMessage, queue: WishQueue, delaySeconds: Int = 0) async throws {
        guard let url = settings.queueURL(for: queue) else { throw SettingsError.missing(["WISHES_QUEUE_URL"]) }
        _ = try await aws.sqs.sendMessage(queueURL: url, SQS.OutgoingMessage(id: "0", body: message.body, delaySeconds: min(max(delaySeconds, 0), 900)))
    }
}
