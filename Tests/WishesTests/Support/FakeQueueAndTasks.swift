import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Wishes

@testable import WishesAWS

/// SQS and ECS as the dispatcher calls them (AWS's JSON protocols), served in-process: it keeps every
/// message sent and every task launched, so a test over the in-memory store can deliver those
/// messages back itself, one at a time, and see what each one launched. It checks no signature.
final class FakeQueueAndTasks: Sendable {
    struct Sent: Sendable, Equatable {
        var message: WishMessage
        var delaySeconds: Int
    }

    private let state = NIOLockedValueBox<(sent: [Sent], launched: [TaskIdentity])>(([], []))

    var sent: [Sent] { state.withLockedValue { $0.sent } }
    var launched: [TaskIdentity] { state.withLockedValue { $0.launched } }

    /// Runs `body` with clients whose SQS and ECS are this fake (S3 and STS go nowhere).
    func serve<T: Sendable>(_ body: @Sendable (AWSClients) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let target = request.headers[HTTPField.Name("X-Amz-Target")!] ?? ""
            let input = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any]) ?? [:]
            return self.answer(target: target, input: input)
        }
        return try await Application(router: router).test(.live) { client in
            let endpoint = Endpoint(scheme: "http", host: "127.0.0.1", port: client.port!, isAWS: false)
            let closed = Endpoint(scheme: "http", host: "127.0.0.1", port: 9, isAWS: false)
            let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.sqs: endpoint, .ecs: endpoint, .s3: closed, .sts: closed])
            let aws = AWSClient(
                configuration: configuration, httpClient: TestAWS.httpClient, credentialProvider: StaticCredentialProvider(TestAWS.credentials),
                retry: RetryPolicy(maxAttempts: 1))
            return try await body(AWSClients(client: aws))
        }
    }

    private func answer(target: String, input: [String: Any]) -> Response {
        func sent(_ entry: [String: Any]) -> Sent? {
            guard let body = entry["MessageBody"] as? String, let message = try? WishJSON.decode(WishMessage.self, from: Array(body.utf8)) else {
                return nil
            }
            return Sent(message: message, delaySeconds: entry["DelaySeconds"] as? Int ?? 0)
        }
        switch target {
        case "AmazonSQS.SendMessage":
            guard let entry = sent(input) else { return Self.json(["__type": "InvalidParameterValue"], status: .badRequest) }
            state.withLockedValue { $0.sent.append(entry) }
            return Self.json(["MessageId": UUID().uuidString])
        case "AmazonSQS.SendMessageBatch":
            let entries = input["Entries"] as? [[String: Any]] ?? []
            state.withLockedValue { $0.sent += entries.compactMap(sent) }
            return Self.json(["Successful": entries.map { ["Id": $0["Id"] ?? "", "MessageId": UUID().uuidString] }, "Failed": [Any]()])
        case "AmazonEC2ContainerServiceV20141113.RunTask":
            guard let startedBy = input["startedBy"] as? String, let identity = TaskIdentity(startedBy: startedBy) else {
                return Self.json(["__type": "InvalidParameterException"], status: .badRequest)
            }
            state.withLockedValue { $0.launched.append(identity) }
            let task: [String: Any] = [
                "taskArn": "arn:aws:ecs:us-east-1:000000000000:task/wishes/\(startedBy)", "lastStatus": "PROVISIONING", "startedBy": startedBy,
            ]
            return Self.json(["tasks": [task], "failures": [Any]()])
        default:
            return Self.json(["__type": "UnknownOperationException", "message": "the fake does not serve \(target)"], status: .badRequest)
        }
    }

    private static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/x-amz-json-1.0"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
