import Foundation
import Logging
import Testing

@testable import Wishes
@testable import WishesAWS

/// The events Lambda hands the dispatcher, in the shapes AWS documents (`Fixtures/events/`).
struct DispatchEventTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = Python.scripts.deletingLastPathComponent().appendingPathComponent("Fixtures/events/\(name)")
        return Array(try Data(contentsOf: url))
    }

    @Test func anSQSBatchDecodesWithItsQueuesAndReceiveCounts() throws {
        guard case .sqs(let event) = try DispatchEvent.decode(Self.fixture("sqs-batch.json")) else {
            Issue.record("not read as an SQS batch")
            return
        }
        #expect(event.Records.map(\.messageId) == ["059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da"])
        #expect(event.Records.map(\.queueName) == ["wishes", "wishes-asap"])
        #expect(event.Records.map(\.receiveCount) == [1, 3])
        let messages = try event.Records.map { try WishJSON.decode(WishMessage.self, from: Array($0.body.utf8)) }
        #expect(messages[0].id == WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4X"))
        #expect(messages[0].spec == .object(["wish": .string("a pony")]))
        #expect(messages[1].subject == WishSubject(id: try #require(WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4Y")), arrayIndex: 7))
        #expect(messages[1].attempt == 2)
    }

    @Test func aStoppedTaskDecodesWithItsExitCodeAndItsAttempt() throws {
        guard case .taskStateChange(let change) = try DispatchEvent.decode(Self.fixture("ecs-task-stopped.json")) else {
            Issue.record("not read as a task state change")
            return
        }
        #expect(change.lastStatus == "STOPPED")
        #expect(change.stopCode == "EssentialContainerExited")
        #expect(change.containers?.first?.exitCode == 3)
        #expect(change.identity == TaskIdentity(subject: WishSubject(id: try #require(WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4X"))), attempt: 1))
    }

    @Test func aTaskIsKnownByItsOverridesWhenStartedByIsNotOurs() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(Self.fixture("ecs-task-stopped.json"))) as? [String: Any])
        var detail = try #require(object["detail"] as? [String: Any])
        detail["startedBy"] = "ecs-svc/9223370545345641169"
        object["detail"] = detail
        guard case .taskStateChange(let change) = try DispatchEvent.decode(Array(try JSONSerialization.data(withJSONObject: object))) else {
            Issue.record("not read as a task state change")
            return
        }
        #expect(change.identity?.subject.id == WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4X"))
        #expect(change.identity?.attempt == 1)
    }

    @Test func aSpotInterruptionIsKnownByStartedByAlone() throws {
        guard case .taskStateChange(let change) = try DispatchEvent.decode(Self.fixture("ecs-task-spot-interrupted.json")) else {
            Issue.record("not read as a task state change")
            return
        }
        #expect(change.stopCode == "SpotInterruption")
        #expect(change.containers?.first?.exitCode == nil)
        #expect(change.identity == TaskIdentity(subject: WishSubject(id: try #require(WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4Y")), arrayIndex: 4), attempt: 2))
        #expect(
            Dispatcher.reason(exitCode: nil, stopCode: change.stopCode, stoppedReason: change.stoppedReason, result: nil)
                == "interrupted (Fargate Spot reclaimed the capacity)")
    }

    @Test func theScheduledEventIsTheMinutesTick() throws {
        guard case .scheduled(let time) = try DispatchEvent.decode(Self.fixture("scheduled-event.json")) else {
            Issue.record("not read as the scheduled tick")
            return
        }
        #expect(time == Date(timeIntervalSince1970: 1_732_442_460))
    }

    @Test(arguments: [
        (#"{"Records":[{"eventSource":"aws:s3"}]}"#, "malformed event"),
        (#"{"detail-type":"EC2 Instance State-change Notification","detail":{}}"#, "EC2 Instance State-change Notification"),
        ("[1,2]", "not a JSON object"),
    ])
    func anEventOfAnotherKindIsRefusedByName(_ body: String, _ named: String) {
        #expect {
            _ = try DispatchEvent.decode(Array(body.utf8))
        } throws: { error in
            "\(error)".contains(named)
        }
    }

    @Test func thePartialBatchResponseHasLambdasShape() throws {
        let some = String(decoding: try WishJSON.encode(SQSBatchResponse(failedMessageIDs: ["059f36b4-87a3-44ab-83d2-661975830a7d"])), as: UTF8.self)
        #expect(some == #"{"batchItemFailures":[{"itemIdentifier":"059f36b4-87a3-44ab-83d2-661975830a7d"}]}"#)
        let none = String(decoding: try WishJSON.encode(SQSBatchResponse(failedMessageIDs: [])), as: UTF8.self)
        #expect(none == #"{"batchItemFailures":[]}"#, "an empty list, not null: Lambda deletes the whole batch")
    }
}
