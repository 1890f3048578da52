import Foundation
import Logging
import Testing

@testable import Wishes
@testable import WishesAWS

/// What a delivery that stopped part-way through a launch leaves, and how the next delivery of the
/// same message completes it, over the in-memory store with SQS and ECS faked in-process.
struct LaunchRecoveryTests {
    static let logger = Logger(label: "test")
    let objects = MemoryObjectStorage()
    let settings = WishesSettings(bucket: "memory", queueURL: "http://127.0.0.1:9/000000000000/wishes", cluster: "wishes", taskDefinition: "wishes:1")
    let fake = FakeQueueAndTasks()

    /// The in-flight entry and the status are written together after RunTask. A delivery stopped
    /// between them may leave the status naming the task and no entry, and without the entry the
    /// sweep would never look at that task again: the message comes back, and its duplicate path
    /// writes the entry without launching a second task.
    @Test func aRepeatedDeliveryWritesTheInFlightEntryThatAStoppedOneLeftOut() async throws {
        let store = WishStore(objects: objects, layout: settings.layout)
        let id = WishID.generate(at: Date())
        try await store.create(
            try WishSpec.parse(json: Array(#"{"command":["true"]}"#.utf8), now: Date()), id: id, createdAt: Date(), updatedAt: Date())
        let identity = TaskIdentity(subject: WishSubject(id: id), attempt: 1)
        let entry = settings.layout.inFlight(identity)
        let objects = objects
        let settings = settings
        try await fake.serve { aws in
            let dispatcher = Dispatcher(aws: aws, store: WishStore(objects: objects, layout: settings.layout), settings: settings)
            let record = SQSEvent.Record(messageId: "m", receiptHandle: "r", body: WishMessage(id: id).body)
            try await dispatcher.handle(record, logger: Self.logger)
            let taskArn = try #require(try await store.statuses.read(WishSubject(id: id))?.attempts.first?.taskArn)
            #expect(try await objects.get(entry).map { String(decoding: $0.body, as: UTF8.self) } == taskArn)

            try await objects.delete(entry)
            try await dispatcher.handle(record, logger: Self.logger)
            #expect(fake.launched == [identity], "one task, however often the message comes")
            #expect(try await objects.get(entry).map { String(decoding: $0.body, as: UTF8.self) } == taskArn, "the entry is back")
        }
    }
}
