import Crypto

/// SQS over its JSON protocol (AWS JSON 1.0), the protocol every current SDK uses.
public struct SQSClient: Sendable {
    public let client: AWSClient
    let json = AWSJSONProtocol(service: .sqs, targetPrefix: "AmazonSQS", contentType: "application/x-amz-json-1.0")

    /// SQS's own limits, checked before sending so the error names the message.
    public static let maxBatchEntries = 10
    public static let maxMessageBytes = 262_144

    public init(client: AWSClient) {
        self.client = client
    }

    public func getQueueURL(name: String) async throws(AWSClientError) -> String {
        struct Output: Decodable { var QueueUrl: String }
        return try await json.call(client, "GetQueueUrl", ["QueueName": name], as: Output.self).QueueUrl
    }

    /// Creates the queue, or returns the URL of the existing one with the same attributes.
    public func createQueue(name: String, attributes: [String: String] = [:]) async throws(AWSClientError) -> String {
        struct Input: Encodable {
            var QueueName: String
            var Attributes: [String: String]?
        }
        struct Output: Decodable { var QueueUrl: String }
        return try await json.call(client, "CreateQueue", Input(QueueName: name, Attributes: attributes.isEmpty ? nil : attributes), as: Output.self).QueueUrl
    }

    public func deleteQueue(url: String) async throws(AWSClientError) {
        let _: EmptyOutput = try await json.call(client, "DeleteQueue", ["QueueUrl": url])
    }

    public func getQueueAttributes(url: String, names: [String] = ["All"]) async throws(AWSClientError) -> [String: String] {
        struct Input: Encodable {
            var QueueUrl: String
            var AttributeNames: [String]
        }
        struct Output: Decodable { var Attributes: [String: String]? }
        return try await json.call(client, "GetQueueAttributes", Input(QueueUrl: url, AttributeNames: names), as: Output.self).Attributes ?? [:]
    }

    struct SendInput: Encodable {
        var QueueUrl: String?
        var Id: String?
        var MessageBody: String
        var DelaySeconds: Int?
        var MessageAttributes: [String: SQS.MessageAttributeValue]?

        init(queueURL: String?, message: SQS.OutgoingMessage, withID: Bool) {
            QueueUrl = queueURL
            Id = withID ? message.id : nil
            MessageBody = message.body
            DelaySeconds = message.delaySeconds
            MessageAttributes = message.attributes.isEmpty ? nil : message.attributes
        }
    }

    func check(_ message: SQS.OutgoingMessage, operation: String) throws(AWSClientError) {
        let size =
            message.body.utf8.count
            + message.attributes.reduce(0) { $0 + $1.key.utf8.count + ($1.value.StringValue?.utf8.count ?? 0) + $1.value.DataType.utf8.count }
        if size > Self.maxMessageBytes {
            throw .service(
                AWSServiceError(
                    service: .sqs, operation: operation, code: "InvalidParameterValue",
                    message: "message \(message.id) is \(size) bytes; SQS takes at most \(Self.maxMessageBytes)", statusCode: 400))
        }
        if let delay = message.delaySeconds, !(0...900).contains(delay) {
            throw .service(
                AWSServiceError(
                    service: .sqs, operation: operation, code: "InvalidParameterValue",
                    message: "DelaySeconds \(delay) is outside 0...900", statusCode: 400))
        }
    }

    @discardableResult
    public func sendMessage(queueURL: String, _ message: SQS.OutgoingMessage) async throws(AWSClientError) -> SQS.SendResult {
        try check(message, operation: "SendMessage")
        let result: SQS.SendResult = try await json.call(client, "SendMessage", SendInput(queueURL: queueURL, message: message, withID: false))
        if let md5 = result.MD5OfMessageBody, md5 != Self.md5(message.body) {
            throw .invalidResponse(service: .sqs, operation: "SendMessage", reason: "MD5OfMessageBody \(md5) does not match the body sent")
        }
        return result
    }

    /// Sends up to 10 messages; entries that SQS refused come back in `failed`.
    public func sendMessageBatch(queueURL: String, _ messages: [SQS.OutgoingMessage]) async throws(AWSClientError) -> SQS.BatchResult {
        try checkBatch(messages.count, "SendMessageBatch")
        for message in messages { try check(message, operation: "SendMessageBatch") }
        struct Input: Encodable {
            var QueueUrl: String
            var Entries: [SendInput]
        }
        let entries = messages.map { SendInput(queueURL: nil, message: $0, withID: true) }
        return try await json.call(client, "SendMessageBatch", Input(QueueUrl: queueURL, Entries: entries))
    }

    /// Long-polls for up to `maxMessages` (1–10), with every system and message attribute.
    public func receiveMessages(
        queueURL: String, maxMessages: Int = 10, waitTimeSeconds: Int = 20, visibilityTimeout: Int? = nil
    ) async throws(AWSClientError) -> [SQS.Message] {
        struct Input: Encodable {
            var QueueUrl: String
            var MaxNumberOfMessages: Int
            var WaitTimeSeconds: Int
            var VisibilityTimeout: Int?
            var MessageSystemAttributeNames = ["All"]
            var MessageAttributeNames = ["All"]
        }
        struct Output: Decodable { var Messages: [SQS.Message]? }
        let input = Input(
            QueueUrl: queueURL, MaxNumberOfMessages: min(max(maxMessages, 1), 10),
            WaitTimeSeconds: min(max(waitTimeSeconds, 0), 20), VisibilityTimeout: visibilityTimeout)
        // The call may rightly take as long as the poll: the limit is the poll plus the usual margin.
        let output: Output = try await json.call(client, "ReceiveMessage", input, timeout: .seconds(input.WaitTimeSeconds) + client.timeout)
        let messages = output.Messages ?? []
        for message in messages where message.MD5OfBody.map({ $0 != Self.md5(message.Body) }) ?? false {
            throw .invalidResponse(service: .sqs, operation: "ReceiveMessage", reason: "MD5OfBody of \(message.MessageId) does not match its body")
        }
        return messages
    }

    public func deleteMessage(queueURL: String, receiptHandle: String) async throws(AWSClientError) {
        let _: EmptyOutput = try await json.call(client, "DeleteMessage", ["QueueUrl": queueURL, "ReceiptHandle": receiptHandle])
    }

    /// Deletes up to 10 messages, keyed by the caller's ids.
    public func deleteMessageBatch(queueURL: String, _ entries: [(id: String, receiptHandle: String)]) async throws(AWSClientError) -> SQS.BatchResult {
        try checkBatch(entries.count, "DeleteMessageBatch")
        struct Entry: Encodable {
            var Id: String
            var ReceiptHandle: String
        }
        struct Input: Encodable {
            var QueueUrl: String
            var Entries: [Entry]
        }
        return try await json.call(
            client, "DeleteMessageBatch", Input(QueueUrl: queueURL, Entries: entries.map { Entry(Id: $0.id, ReceiptHandle: $0.receiptHandle) }))
    }

    public func changeMessageVisibility(queueURL: String, receiptHandle: String, visibilityTimeout: Int) async throws(AWSClientError) {
        struct Input: Encodable {
            var QueueUrl: String
            var ReceiptHandle: String
            var VisibilityTimeout: Int
        }
        let _: EmptyOutput = try await json.call(
            client, "ChangeMessageVisibility", Input(QueueUrl: queueURL, ReceiptHandle: receiptHandle, VisibilityTimeout: visibilityTimeout))
    }

    public func changeMessageVisibilityBatch(queueURL: String, _ changes: [SQS.VisibilityChange]) async throws(AWSClientError) -> SQS.BatchResult {
        try checkBatch(changes.count, "ChangeMessageVisibilityBatch")
        struct Entry: Encodable {
            var Id: String
            var ReceiptHandle: String
            var VisibilityTimeout: Int
        }
        struct Input: Encodable {
            var QueueUrl: String
            var Entries: [Entry]
        }
        let entries = changes.map { Entry(Id: $0.id, ReceiptHandle: $0.receiptHandle, VisibilityTimeout: $0.visibilityTimeout) }
        return try await json.call(client, "ChangeMessageVisibilityBatch", Input(QueueUrl: queueURL, Entries: entries))
    }

    func checkBatch(_ count: Int, _ operation: String) throws(AWSClientError) {
        guard (1...Self.maxBatchEntries).contains(count) else {
            throw .service(
                AWSServiceError(
                    service: .sqs, operation: operation, code: count == 0 ? "EmptyBatchRequest" : "TooManyEntriesInBatchRequest",
                    message: "a batch holds 1 to \(Self.maxBatchEntries) entries, not \(count)", statusCode: 400))
        }
    }

    static func md5(_ text: String) -> String {
        Insecure.MD5.hash(data: Array(text.utf8)).hexString
    }
}
