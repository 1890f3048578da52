import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Wishes
import WishesAWS

/// EventBridge's two rules of the template, delivered as AWS delivers them.
///
/// - Only what a rule matches goes anywhere: ECS emits every task state, and the task-state rule
///   passes RUNNING and STOPPED of our cluster only.
/// - A rule invokes the function asynchronously: Lambda queues the event, and a function error is
///   retried twice, a minute and then two minutes later, and then goes to the function's on-failure
///   destination (an SQS queue, as the template's EventInvokeConfig sets) as Lambda's destination
///   record, or is dropped when there is none.
/// - Delivery is at least once and unordered; `Faults` adds loss, duplicates and reordering at a rate,
///   so that what AWS does on a bad day can be had on demand.
final class EventBus: Service, Sendable {
    struct Faults: Sendable {
        /// Chance that a task state event is lost.
        var dropTaskEvents = 0.0
        /// Chance that an event is delivered twice (with the same id, as EventBridge's duplicates are).
        var duplicateEvents = 0.0
        /// Chance that an event is held back for up to `reorderWithin`, so later ones overtake it.
        var reorderEvents = 0.0
        var reorderWithin: Duration = .seconds(3)
    }

    struct Stats: Sendable {
        var published = 0
        var filteredOut = 0
        var dropped = 0
        var duplicated = 0
        var delayed = 0
        var delivered = 0
        var retried = 0
        var lostAfterRetries = 0
        var sentToOnFailure = 0

        var dictionary: [String: Int] {
            [
                "eventsPublished": published, "eventsFilteredOut": filteredOut, "eventsDropped": dropped, "eventsDuplicated": duplicated,
                "eventsDelayed": delayed, "eventsDelivered": delivered, "eventsRetried": retried, "eventsLostAfterRetries": lostAfterRetries,
                "eventsSentToOnFailure": sentToOnFailure,
            ]
        }
    }

    /// One event on its way to the function, and how many times it has been tried.
    struct Delivery: Sendable {
        var event: [UInt8]
        var tries: Int
    }

    let pool: FunctionPool
    let logger: Logger
    let scheduleEvery: Duration
    /// When false, task state changes go nowhere (the schedule still ticks).
    let deliversTaskEvents: Bool
    let faults: Faults
    let taskRule: EventPattern
    /// Lambda's waits before the two retries of an asynchronous invocation that failed.
    let retryDelays: [Duration]
    /// Sends a destination record to the on-failure destination; true when it was taken.
    let onFailure: (@Sendable (String) async -> Bool)?
    let stats = NIOLockedValueBox(Stats())
    private let queue: AsyncStream<Delivery>
    private let queueInput: AsyncStream<Delivery>.Continuation
    private let later: AsyncStream<(Delivery, Duration)>
    private let laterInput: AsyncStream<(Delivery, Duration)>.Continuation
    static let capacity = 50_000
    static let account = "000000000000"
    static let region = "us-east-1"

    init(
        pool: FunctionPool, scheduleEvery: Duration = .seconds(60), deliversTaskEvents: Bool = true, faults: Faults = Faults(),
        retryDelays: [Duration] = [.seconds(60), .seconds(120)], onFailure: (@Sendable (String) async -> Bool)? = nil, logger: Logger
    ) throws {
        self.pool = pool
        self.onFailure = onFailure
        self.deliversTaskEvents = deliversTaskEvents
        self.faults = faults
        self.retryDelays = retryDelays
        self.logger = logger
        self.scheduleEvery = scheduleEvery
        taskRule = try EventPattern(json: DeployedNames.taskStateEventPattern(region: Self.region, account: Self.account))
        (queue, queueInput) = AsyncStream.makeStream(of: Delivery.self, bufferingPolicy: .bufferingOldest(Self.capacity))
        (later, laterInput) = AsyncStream.makeStream(of: (Delivery, Duration).self, bufferingPolicy: .bufferingOldest(Self.capacity))
    }

    /// An ECS task state change, as ECS sends it to the default bus: every state, whatever the rules want.
    func publishTaskState(taskARN: String, detail: TaskStateChange) {
        publish(detailType: "ECS Task State Change", source: "aws.ecs", resources: [taskARN], detail: detail)
    }

    /// The schedule rule's tick, whose detail is empty.
    func publishTick() {
        publish(
            detailType: "Scheduled Event", source: "aws.events", resources: ["arn:aws:events:\(Self.region):\(Self.account):rule/wishes-sweep"],
            detail: [String: String]())
    }

    func publish<Detail: Sendable & Codable>(detailType: String, source: String, resources: [String], detail: Detail) {
        let event = EventBridgeEvent(
            id: UUID().uuidString.lowercased(), detailType: detailType, source: source, account: Self.account,
            time: RFC3339.format(Date()), region: Self.region, resources: resources, detail: detail)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(event), let value = try? JSONDecoder().decode(JSONValue.self, from: data) else { return }
        stats.withLockedValue { $0.published += 1 }
        let isTaskEvent = source == "aws.ecs"
        // The schedule rule targets its own events; the task rule filters ECS's.
        guard !isTaskEvent || (deliversTaskEvents && taskRule.matches(value)) else {
            stats.withLockedValue { $0.filteredOut += 1 }
            return
        }
        if isTaskEvent, Double.random(in: 0..<1) < faults.dropTaskEvents {
            stats.withLockedValue { $0.dropped += 1 }
            logger.debug("task state event dropped (fault injected)")
            return
        }
        let copies = Double.random(in: 0..<1) < faults.duplicateEvents ? 2 : 1
        if copies == 2 { stats.withLockedValue { $0.duplicated += 1 } }
        for _ in 0..<copies {
            let delivery = Delivery(event: Array(data), tries: 0)
            if Double.random(in: 0..<1) < faults.reorderEvents {
                stats.withLockedValue { $0.delayed += 1 }
                let millis = Int64.random(in: 0...max(1, faults.reorderWithin.components.seconds * 1000))
                enqueue(delivery, after: .milliseconds(millis))
            } else {
                enqueue(delivery)
            }
        }
    }

    func enqueue(_ delivery: Delivery, after delay: Duration? = nil) {
        let accepted: Bool
        if let delay {
            if case .dropped = laterInput.yield((delivery, delay)) { accepted = false } else { accepted = true }
        } else {
            if case .dropped = queueInput.yield(delivery) { accepted = false } else { accepted = true }
        }
        if !accepted { logger.error("Lambda's asynchronous queue is full; event dropped") }
    }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: self.scheduleEvery)
                    self.publishTick()
                }
            }
            group.addTask {
                // Waits (retries, reordering) run side by side, each its own child: at most `capacity`.
                await withTaskGroup(of: Void.self) { waits in
                    for await (delivery, delay) in self.later {
                        waits.addTask {
                            try? await Task.sleep(for: delay)
                            if !Task.isCancelled { self.enqueue(delivery) }
                        }
                    }
                }
            }
            group.addTask {
                await withTaskGroup(of: Void.self) { deliveries in
                    var running = 0
                    for await delivery in self.queue {
                        if running >= 4 {
                            await deliveries.next()
                            running -= 1
                        }
                        deliveries.addTask { await self.deliver(delivery) }
                        running += 1
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    func deliver(_ delivery: Delivery) async {
        let result = await pool.invoke(delivery.event)
        if case .response = result {
            stats.withLockedValue { $0.delivered += 1 }
            return
        }
        guard delivery.tries < retryDelays.count else {
            if let onFailure, await onFailure(Self.destinationRecord(delivery, result: result)) {
                stats.withLockedValue { $0.sentToOnFailure += 1 }
                logger.warning("asynchronous invocation failed after \(retryDelays.count) retries; event sent to the on-failure destination")
                return
            }
            stats.withLockedValue { $0.lostAfterRetries += 1 }
            logger.error(
                "asynchronous invocation failed after \(retryDelays.count) retries; event discarded (no on-failure destination)",
                metadata: [
                    "result": "\(result.summary)", "event": "\(String(decoding: delivery.event.prefix(300), as: UTF8.self))",
                ])
            return
        }
        stats.withLockedValue { $0.retried += 1 }
        enqueue(Delivery(event: delivery.event, tries: delivery.tries + 1), after: retryDelays[delivery.tries])
    }

    /// What Lambda writes to an on-failure destination: the event as `requestPayload`, with why it failed.
    static func destinationRecord(_ delivery: Delivery, result: InvocationResult) -> String {
        struct Record: Encodable {
            struct RequestContext: Encodable {
                var requestId: String
                var functionArn: String
                var condition: String
                var approximateInvokeCount: Int
            }
            struct ResponseContext: Encodable {
                var statusCode: Int
                var executedVersion: String
                var functionError: String
            }
            var version = "1.0"
            var timestamp: String
            var requestContext: RequestContext
            var requestPayload: JSONValue
            var responseContext: ResponseContext
            var responsePayload: JSONValue
        }
        let payload = (try? JSONDecoder().decode(JSONValue.self, from: Data(delivery.event))) ?? .string(String(decoding: delivery.event, as: UTF8.self))
        let record = Record(
            timestamp: RFC3339.format(Date()),
            requestContext: .init(
                requestId: UUID().uuidString.lowercased(), functionArn: "arn:aws:lambda:\(region):\(account):function:make-a-wish:$LATEST",
                condition: "RetriesExhausted", approximateInvokeCount: delivery.tries + 1),
            requestPayload: payload,
            responseContext: .init(statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled"),
            responsePayload: .object(["errorMessage": .string(result.summary)]))
        return String(decoding: (try? JSONEncoder().encode(record)) ?? Data(), as: UTF8.self)
    }
}
