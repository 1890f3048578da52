import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// Every SQS call we make, against a real moto server.
@Suite(.serialized) struct SQSIntegrationTests {
    @Test func sendsReceivesAndDeletesAMessageWithAttributes() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withQueue { url in
            let body = "{\"wish\":\"a pony 🐴\"}"
            let sent = try await aws.sqs.sendMessage(
                queueURL: url, .init(id: "one", body: body, attributes: ["wishId": .init(string: "abc"), "attempt": .init(number: 2)]))
            #expect(!sent.MessageId.isEmpty)
            let received = try await aws.sqs.receiveMessages(queueURL: url, waitTimeSeconds: 1)
            let message = try #require(received.first)
            #expect(message.Body == body)
            #expect(message.MessageAttributes?["wishId"]?.StringValue == "abc")
            #expect(message.MessageAttributes?["attempt"] == .init(number: 2))
            #expect(message.receiveCount == 1)
            try await aws.sqs.deleteMessage(queueURL: url, receiptHandle: message.ReceiptHandle)
            #expect(try await aws.sqs.receiveMessages(queueURL: url, waitTimeSeconds: 0).isEmpty)
        }
    }

    @Test func batchesSendDeleteAndChangeVisibility() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withQueue { url in
            let messages = (0..<10).map { SQS.OutgoingMessage(id: "m\($0)", body: "body \($0)") }
            let sent = try await aws.sqs.sendMessageBatch(queueURL: url, messages)
            #expect(sent.succeeded.count == 10 && sent.failed.isEmpty)
            var received: [SQS.Message] = []
            while received.count < 10 {
                let page = try await aws.sqs.receiveMessages(queueURL: url, maxMessages: 10, waitTimeSeconds: 1, visibilityTimeout: 30)
                if page.isEmpty { break }
                received += page
            }
            #expect(Set(received.map(\.Body)) == Set((0..<10).map { "body \($0)" }))
            // Make five visible again at once; they come back with a higher receive count.
            let back = received.prefix(5).enumerated().map {
                SQS.VisibilityChange(id: "v\($0.offset)", receiptHandle: $0.element.ReceiptHandle, visibilityTimeout: 0)
            }
            let changed = try await aws.sqs.changeMessageVisibilityBatch(queueURL: url, back)
            #expect(changed.succeeded.count == 5)
            let again = try await aws.sqs.receiveMessages(queueURL: url, maxMessages: 10, waitTimeSeconds: 1)
            #expect(!again.isEmpty && again.allSatisfy { $0.receiveCount == 2 })
            let deleted = try await aws.sqs.deleteMessageBatch(
                queueURL: url, received.suffix(5).enumerated().map { ("d\($0.offset)", $0.element.ReceiptHandle) })
            #expect(deleted.succeeded.count == 5)
        }
    }

    @Test func changesOneMessagesVisibility() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withQueue { url in
            try await aws.sqs.sendMessage(queueURL: url, .init(id: "x", body: "later"))
            let first = try #require(try await aws.sqs.receiveMessages(queueURL: url, waitTimeSeconds: 1, visibilityTimeout: 60).first)
            #expect(try await aws.sqs.receiveMessages(queueURL: url, waitTimeSeconds: 0).isEmpty)
            try await aws.sqs.changeMessageVisibility(queueURL: url, receiptHandle: first.ReceiptHandle, visibilityTimeout: 0)
            #expect(try await aws.sqs.receiveMessages(queueURL: url, waitTimeSeconds: 1).first?.Body == "later")
        }
    }

    @Test func findsQueuesByNameAndReadsAttributes() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withQueue(attributes: ["VisibilityTimeout": "180"]) { url in
            let name = try #require(url.split(separator: "/").last)
            #expect(try await aws.sqs.getQueueURL(name: String(name)) == url)
            let attributes = try await aws.sqs.getQueueAttributes(url: url)
            #expect(attributes["VisibilityTimeout"] == "180")
            #expect(attributes["QueueArn"]?.hasSuffix(String(name)) == true)
        }
    }

    @Test func namesAMissingQueueInItsError() async throws {
        let aws = try await TestAWS.moto()
        await #expect {
            _ = try await aws.sqs.getQueueURL(name: "no-such-queue")
        } throws: { error in
            guard let error = (error as? AWSClientError)?.serviceError else { return false }
            return error.code == "QueueDoesNotExist" && error.statusCode == 400
        }
    }

    @Test func refusesBatchesSQSWouldRefuseBeforeSending() async throws {
        let aws = try await TestAWS.moto()
        let eleven = (0..<11).map { SQS.OutgoingMessage(id: "\($0)", body: "x") }
        await #expect { _ = try await aws.sqs.sendMessageBatch(queueURL: "http://unused", eleven) } throws: {
            ($0 as? AWSClientError)?.isCode(.tooManyEntriesInBatchRequest) == true
        }
        let huge = SQS.OutgoingMessage(id: "big", body: String(repeating: "x", count: SQSClient.maxMessageBytes + 1))
        await #expect { try await aws.sqs.sendMessage(queueURL: "http://unused", huge) } throws: {
            "\($0)".contains("big") && "\($0)".contains("262144")
        }
    }
}
