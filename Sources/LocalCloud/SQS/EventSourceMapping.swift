import Foundation
import Logging
import ServiceLifecycle
import Wishes
import WishesAWS

/// Lambda's SQS event source mapping, as AWS documents it: long polls, batches of up to 10
/// gathered over a batching window, deletes what succeeded, leaves `batchItemFailures` (and
/// everything, on an error or a malformed response) to come back after the visibility timeout.
struct EventSourceMapping: Service {
    let sqs: SQSClient
    let queueURL: String
    let queueName: String
    let pool: FunctionPool
    /// Batches of every mapping in the function at once.
    let concurrency: MappingConcurrency
    /// Pollers at once: the mapping's maximum concurrency.
    let maxConcurrency: Int
    var batchSize = 10
    var batchingWindow: Duration = .milliseconds(200)
    let logger: Logger

    var arn: String { "arn:aws:sqs:us-east-1:000000000000:\(queueName)" }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, maxConcurrency) { group.addTask { await poll() } }
        }
    }

    func poll() async {
        while !Task.isCancelled {
            do {
                var messages = try await sqs.receiveMessages(queueURL: queueURL, maxMessages: batchSize, waitTimeSeconds: 20)
                guard !messages.isEmpty else { continue }
                let windowEnd = ContinuousClock.now + batchingWindow
                while messages.count < batchSize, ContinuousClock.now < windowEnd, !Task.isCancelled {
                    let more = try await sqs.receiveMessages(queueURL: queueURL, maxMessages: batchSize - messages.count, waitTimeSeconds: 0)
                    if more.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
                    messages += more
                }
                try await deliver(messages)
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("event source mapping poll failed", metadata: ["queue": "\(queueName)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func deliver(_ messages: [SQS.Message]) async throws {
        let event = try event(messages)
        // Cancelled while waiting: the cloud is stopping, and the messages come back to the queue.
        guard await concurrency.acquire() else { return }
        let result = await pool.invoke(event)
        concurrency.release()
        guard case .response(let body) = result else {
            logger.warning(
                "batch failed; every message will come back",
                metadata: ["queue": "\(queueName)", "messages": "\(messages.count)", "result": "\(result.summary)"])
            return
        }
        guard let failed = Self.failedIDs(body, batch: Set(messages.map(\.MessageId))) else {
            logger.warning(
                "malformed batch response; every message will come back",
                metadata: ["queue": "\(queueName)", "response": "\(String(decoding: body.prefix(300), as: UTF8.self))"])
            return
        }
        let done = messages.filter { !failed.contains($0.MessageId) }
        for chunk in stride(from: 0, to: done.count, by: 10).map({ Array(done[$0..<min($0 + 10, done.count)]) }) where !chunk.isEmpty {
            _ = try await sqs.deleteMessageBatch(
                queueURL: queueURL, chunk.enumerated().map { (id: String($0.offset), receiptHandle: $0.element.ReceiptHandle) })
        }
    }

    /// The ids to keep, or nil when the response breaks the contract (then the whole batch fails).
    static func failedIDs(_ body: [UInt8], batch: Set<String>) -> Set<String>? {
        let trimmed = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed == "null" || trimmed == "{}" { return [] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        guard let failures = object["batchItemFailures"] else { return [] }
        guard let list = failures as? [[String: Any]] else { return nil }
        var ids: Set<String> = []
        for item in list {
            guard let id = item["itemIdentifier"] as? String, batch.contains(id) else { return nil }
            ids.insert(id)
        }
        return ids
    }

    /// The batch as Lambda's event, in the type the dispatcher decodes it as.
    func event(_ messages: [SQS.Message]) throws -> [UInt8] {
        let records = messages.map { message in
            var attributes = message.Attributes ?? [:]
            attributes["ApproximateReceiveCount"] = attributes["ApproximateReceiveCount"] ?? "1"
            return SQSEvent.Record(
                messageId: message.MessageId, receiptHandle: message.ReceiptHandle, body: message.Body, attributes: attributes,
                messageAttributes: (message.MessageAttributes ?? [:]).mapValues { .init(stringValue: $0.StringValue ?? "", dataType: $0.DataType) },
                md5OfBody: message.MD5OfBody ?? "", eventSourceARN: arn, awsRegion: "us-east-1")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(SQSEvent(records: records)))
    }
}
