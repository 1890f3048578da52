import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

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
            enum CodingKeys: String, CodingKey {
                case Records
                case detailType = "detail-type"
                case time
            }
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
        public var messageAttributes: [String: MessageAttribute]?
        public var md5OfBody: String?
        public var eventSource: String?
        public var awsRegion: String?

        /// A message attribute as Lambda's SQS event spells it (lower camel case, unlike SQS's API).
        public struct MessageAttribute: Sendable, Codable {
            public var stringValue: String?
            public var binaryValue: String?
            public var stringListValues: [String]
            public var binaryListValues: [String]
            public var dataType: String

            public init(stringValue: String?, binaryValue: String? = nil, dataType: String) {
                self.stringValue = stringValue
                self.binaryValue = binaryValue
                self.stringListValues = []
                self.binaryListValues = []
                self.dataType = dataType
            }
        }

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

extension SQSEvent {
    public init(records: [Record]) { Records = records }
}

extension SQSEvent.Record {
    /// A record as Lambda's event source mapping builds it from a received message.
    public init(
        messageId: String, receiptHandle: String, body: String, attributes: [String: String], messageAttributes: [String: MessageAttribute],
        md5OfBody: String, eventSourceARN: String, awsRegion: String
    ) {
        self.init(
            messageId: messageId, receiptHandle: receiptHandle, body: body, attributes: attributes, eventSourceARN: eventSourceARN,
            messageAttributes: messageAttributes, md5OfBody: md5OfBody, eventSource: "aws:sqs", awsRegion: awsRegion)
    }
}

/// EventBridge's envelope around a rule's event, as it reaches a Lambda target.
public struct EventBridgeEvent<Detail: Sendable & Codable>: Sendable, Codable {
    public var version: String?
    public var id: String?
    public var detailType: String?
    public var source: String?
    public var account: String?
    /// RFC 3339.
    public var time: String?
    public var region: String?
    public var resources: [String]?
    public var detail: Detail

    enum CodingKeys: String, CodingKey {
        case version, id
        case detailType = "detail-type"
        case source, account, time, region, resources, detail
    }

    public init(id: String, detailType: String, source: String, account: String, time: String, region: String, resources: [String], detail: Detail) {
        self.version = "0"
        self.id = id
        self.detailType = detailType
        self.source = source
        self.account = account
        self.time = time
        self.region = region
        self.resources = resources
        self.detail = detail
    }
}

typealias TaskStateChangeEvent = EventBridgeEvent<TaskStateChange>

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
    public var taskDefinitionArn: String?
    public var launchType: String?
    public var capacityProviderName: String?
    public var cpu: String?
    public var memory: String?
    public var createdAt: String?
    public var version: Int?

    public struct Container: Sendable, Codable {
        public var name: String?
        public var exitCode: Int?
        public var reason: String?
        public var lastStatus: String?
        public var taskArn: String?
    }

    public struct Overrides: Sendable, Codable {
        public var containerOverrides: [ContainerOverride]?
        public var cpu: String?
        public var memory: String?
        public struct ContainerOverride: Sendable, Codable {
            public var name: String?
            public var environment: [ECS.KeyValuePair]?
            public var command: [String]?
        }
    }

    /// Which attempt of which wish this task is: from `startedBy`, else from the overrides' environment.
    public var identity: TaskIdentity? {
        if let startedBy, let identity = TaskIdentity(startedBy: startedBy) { return identity }
        let environment = Dictionary(
            (overrides?.containerOverrides ?? []).flatMap { $0.environment ?? [] }.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        guard let id = environment["WISH_ID"].flatMap(WishID.init), let attempt = environment["WISH_ATTEMPT"].flatMap(Int.init) else { return nil }
        return TaskIdentity(subject: WishSubject(id: id, arrayIndex: environment["WISH_ARRAY_INDEX"].flatMap(Int.init)), attempt: attempt)
    }
}

extension TaskStateChange {
    /// A state change as ECS reports it, for a stand-in that plays ECS.
    public init(
        taskArn: String, clusterArn: String, taskDefinitionArn: String, lastStatus: String, desiredStatus: String, launchType: String,
        capacityProviderName: String, cpu: String, memory: String, createdAt: String, startedBy: String?, group: String?,
        stopCode: String?, stoppedReason: String?, startedAt: String?, stoppedAt: String?, containers: [Container], overrides: Overrides?
    ) {
        self.init(
            taskArn: taskArn, clusterArn: clusterArn, lastStatus: lastStatus, desiredStatus: desiredStatus, stopCode: stopCode,
            stoppedReason: stoppedReason, startedBy: startedBy, group: group, containers: containers, overrides: overrides,
            startedAt: startedAt, stoppedAt: stoppedAt, taskDefinitionArn: taskDefinitionArn, launchType: launchType,
            capacityProviderName: capacityProviderName, cpu: cpu, memory: memory, createdAt: createdAt, version: 1)
    }
}

extension TaskStateChange.Container {
    public init(name: String, exitCode: Int?, lastStatus: String, taskArn: String) {
        self.init(name: name, exitCode: exitCode, reason: nil, lastStatus: lastStatus, taskArn: taskArn)
    }
}

extension TaskStateChange.Overrides {
    /// The overrides of a RunTask call, as the event repeats them.
    public init(_ overrides: ECS.TaskOverride) {
        self.init(
            containerOverrides: overrides.containerOverrides?.map { .init(name: $0.name, environment: $0.environment, command: $0.command) },
            cpu: overrides.cpu, memory: overrides.memory)
    }
}
