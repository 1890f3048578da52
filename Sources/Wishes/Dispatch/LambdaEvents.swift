import Foundation

/// The three kinds of events that reach the dispatcher, told apart by their shape.
public enum DispatchEvent: Sendable {
    case sqs(SQSEvent)
    case taskStateChange(TaskStateChange)
    case scheduled(time: Date?)

    public static func decode(_ bytes: [UInt8]) throws(DispatchError) -> DispatchEvent {
        struct Probe: Decodable {
            var Records: [JSONValue]?
            var detailType: String?
            var time: String?
            enum CodingKeys: String, CodingKey { case Records, detailType = "detail-type", time }
        }
        let probe: Probe
        do { probe = try JSONDecoder().decode(Probe.self, from: Data(bytes)) } catch {
            throw .badEvent("not a JSON object: \(error)")
        }
        do {
            if probe.Records != nil { return .sqs(try JSONDecoder().decode(SQSEvent.self, from: Data(bytes))) }
            switch probe.detailType {
            case "ECS Task State Change": return .taskStateChange(try JSONDecoder().decode(TaskStateChangeEvent.self, from: Data(bytes)).detail)
            case "Scheduled Event": return .scheduled(time: probe.time.flatMap(RFC3339.parse))
            default: throw DispatchError.badEvent("unknown event: neither SQS Records nor a detail-type this function handles (\(probe.detailType ?? "none"))")
            }
        } catch let error as DispatchError {
            throw error
        } catch {
            throw .badEvent("malformed event: \(error)")
        }
    }
}

/// Lambda's SQS event.
public struct SQSEvent: Sendable, Codable {
    public var Records: [Record]

    public struct Record: Sendable, Codable {
        public var messageId: String
        public var receiptHandle: String?
        public var body: String
        public var attributes: [String: String]?
        public var eventSourceARN: String?

        public var receiveCount: Int { attributes?["ApproximateReceiveCount"].flatMap(Int.init) ?? 1 }
        /// The queue's name, the last part of its ARN.
        public var queueName: String? { eventSourceARN?.split(separator: ":").last.map(String.init) }
    }
}

/// The partial batch response: only these records come back to the queue.
public struct SQSBatchResponse: Sendable, Codable, Equatable {
    public struct Failure: Sendable, Codable, Equatable {
        public var itemIdentifier: String
    }
    public var batchItemFailures: [Failure]

    public init(failedMessageIDs: [String]) {
        batchItemFailures = failedMessageIDs.map(Failure.init)
    }
}

struct TaskStateChangeEvent: Decodable {
    var detail: TaskStateChange
}

/// The `detail` of EventBridge's "ECS Task State Change" (times are RFC 3339 strings here).
public struct TaskStateChange: Sendable, Codable {
    public var taskArn: String
    public var clusterArn: String?
    public var lastStatus: String
    public var desiredStatus: String?
    public var stopCode: String?
    public var stoppedReason: String?
    public var startedBy: String?
    public var group: String?
    public var containers: [Container]?
    public var overrides: Overrides?
    public var startedAt: String?
    public var stoppedAt: String?

    public struct Container: Sendable, Codable {
        public var name: String?
        public var exitCode: Int?
        public var reason: String?
        public var lastStatus: String?
    }

    public struct Overrides: Sendable, Codable {
        public var containerOverrides: [ContainerOverride]?
        public struct ContainerOverride: Sendable, Codable {
            public var name: String?
            public var environment: [ECS.KeyValuePair]?
        }
    }

    /// Which attempt of which wish this task is: from `startedBy`, else from the overrides' environment.
    public var identity: TaskIdentity? {
        if let startedBy, let identity = TaskIdentity(startedBy: startedBy) { return identity }
        let environment = Dictionary((overrides?.containerOverrides ?? []).flatMap { $0.environment ?? [] }.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        guard let id = environment["WISH_ID"].flatMap(WishID.init), let attempt = environment["WISH_ATTEMPT"].flatMap(Int.init) else { return nil }
        return TaskIdentity(subject: WishSubject(id: id, arrayIndex: environment["WISH_ARRAY_INDEX"].flatMap(Int.init)), attempt: attempt)
    }
}
