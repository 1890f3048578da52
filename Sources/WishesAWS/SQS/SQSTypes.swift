/// SQS's shapes, with the JSON protocol's member names.
public enum SQS {
    public struct MessageAttributeValue: Codable, Sendable, Equatable {
        public var DataType: String
        public var StringValue: String?
        public init(string: String) {
            DataType = "String"
            StringValue = string
        }
        public init(number: Int) {
            DataType = "Number"
            StringValue = String(number)
        }
    }

    /// A message to send, alone or in a batch.
    public struct OutgoingMessage: Sendable, Equatable {
        public var id: String
        public var body: String
        public var delaySeconds: Int?
        public var attributes: [String: MessageAttributeValue]

        public init(id: String, body: String, delaySeconds: Int? = nil, attributes: [String: MessageAttributeValue] = [:]) {
            self.id = id
            self.body = body
            self.delaySeconds = delaySeconds
            self.attributes = attributes
        }
    }

    public struct Message: Codable, Sendable, Equatable {
        public var MessageId: String
        public var ReceiptHandle: String
        public var Body: String
        public var MD5OfBody: String?
        public var Attributes: [String: String]?
        public var MessageAttributes: [String: MessageAttributeValue]?

        /// How many times SQS has handed this message out (`ApproximateReceiveCount`).
        public var receiveCount: Int { Attributes?["ApproximateReceiveCount"].flatMap(Int.init) ?? 1 }
    }

    public struct SendResult: Codable, Sendable, Equatable {
        public var MessageId: String
        public var MD5OfMessageBody: String?
    }

    public struct BatchResultEntry: Codable, Sendable, Equatable {
        public var Id: String
        public var MessageId: String?
    }

    public struct BatchFailure: Codable, Sendable, Equatable {
        public var Id: String
        public var Code: String
        public var Message: String?
        public var SenderFault: Bool?
    }

    /// A batch call's outcome: some entries may fail while the others succeed.
    public struct BatchResult: Codable, Sendable, Equatable {
        public var Successful: [BatchResultEntry]?
        public var Failed: [BatchFailure]?

        public var succeeded: [BatchResultEntry] { Successful ?? [] }
        public var failed: [BatchFailure] { Failed ?? [] }
    }

    public struct VisibilityChange: Sendable, Equatable {
        public var id: String
        public var receiptHandle: String
        public var visibilityTimeout: Int
        public init(id: String, receiptHandle: String, visibilityTimeout: Int) {
            self.id = id
            self.receiptHandle = receiptHandle
            self.visibilityTimeout = visibilityTimeout
        }
    }
}
