import Foundation
import Logging
import ServiceLifecycle
import Wishes

/// EventBridge's two rules: ECS task state changes and a schedule each minute, delivered to the
/// function asynchronously, retried a few times on failure as EventBridge retries.
final class EventBus: Service, Sendable {
    let pool: FunctionPool
    let logger: Logger
    let scheduleEvery: Duration
    /// When false, task state changes go nowhere (the schedule still ticks).
    let deliversTaskEvents: Bool
    private let stream: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation
    static let capacity = 50_000

    init(pool: FunctionPool, scheduleEvery: Duration = .seconds(60), deliversTaskEvents: Bool = true, logger: Logger) {
        self.pool = pool
        self.deliversTaskEvents = deliversTaskEvents
        self.logger = logger
        self.scheduleEvery = scheduleEvery
        (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(Self.capacity))
    }

    func publish(detailType: String, source: String, resources: [String], detail: Any) {
        if source == "aws.ecs" && !deliversTaskEvents { return }
        let event: [String: Any] = [
            "version": "0", "id": UUID().uuidString.lowercased(), "detail-type": detailType, "source": source,
            "account": "000000000000", "time": RFC3339.format(Date()), "region": "us-east-1", "resources": resources, "detail": detail,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) else { return }
        if case .dropped = continuation.yield(Array(data)) {
            logger.error("event bus full; event dropped", metadata: ["detailType": "\(detailType)"])
        }
    }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: self.scheduleEvery)
                    self.publish(detailType: "Scheduled Event", source: "aws.events", resources: ["arn:aws:events:us-east-1:000000000000:rule/wishes-sweep"], detail: [String: Any]())
                }
            }
            group.addTask {
                await withTaskGroup(of: Void.self) { deliveries in
                    var running = 0
                    for await event in self.stream {
                        if running >= 4 { await deliveries.next(); running -= 1 }
                        deliveries.addTask { await self.deliver(event) }
                        running += 1
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    func deliver(_ event: [UInt8]) async {
        for attempt in 1...3 {
            if case .response = await pool.invoke(event, priority: 1) { return }
            try? await Task.sleep(for: .milliseconds(500 * attempt))
        }
        logger.error("event not delivered after 3 tries", metadata: ["event": "\(String(decoding: event.prefix(300), as: UTF8.self))"])
    }
}
