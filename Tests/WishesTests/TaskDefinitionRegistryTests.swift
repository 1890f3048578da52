import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import Wishes
@testable import WishesAWS

/// The dispatcher's per-image task definitions against an ECS that answers as told and counts
/// calls. (The request shapes themselves are checked against botocore's model in ECSModelTests,
/// and the whole path end to end, through the local Fargate, in EndToEndJobDefinitionTests.)
@Suite struct TaskDefinitionRegistryTests {
    static let baseName = "count-to-three"
    static let container = "count-to-three"

    /// ECS's two task definition calls: definitions by family, and what to answer RegisterTaskDefinition.
    final class ScriptedECS: Sendable {
        struct State {
            var families: [String: [ECS.TaskDefinition]] = [:]
            var calls: [String] = []
            /// Answers RegisterTaskDefinition gives before it registers, first first: (status, __type, message).
            var registerRefusals: [(Int, String, String)] = []
        }
        let state = NIOLockedValueBox(State())

        init() {
            var base = ECS.TaskDefinition(
                family: TaskDefinitionRegistryTests.baseName,
                containerDefinitions: [
                    ECS.ContainerDefinition(name: "wishes-init", image: "wishes:1", essential: false),
                    ECS.ContainerDefinition(name: TaskDefinitionRegistryTests.container, image: "amazonlinux:2023-minimal"),
                ])
            base.revision = 4
            base.status = "ACTIVE"
            base.taskDefinitionArn = "arn:aws:ecs:us-east-1:123456789012:task-definition/count-to-three:4"
            state.withLockedValue { $0.families[base.family] = [base] }
        }

        var calls: [String] { state.withLockedValue { $0.calls } }
        func count(_ operation: String) -> Int { calls.filter { $0 == operation }.count }

        func answer(_ operation: String, _ body: Data) -> Response {
            state.withLockedValue { state in
                state.calls.append(operation)
                switch operation {
                case "DescribeTaskDefinition":
                    struct Input: Decodable { var taskDefinition: String }
                    guard let name = try? JSONDecoder().decode(Input.self, from: body).taskDefinition,
                        let found = state.families[String(name.split(separator: "/").last?.split(separator: ":").first ?? "")]?.last
                    else { return Self.error(400, "ClientException", "Unable to describe task definition.") }
                    return Self.json(["taskDefinition": found])
                case "RegisterTaskDefinition":
                    if !state.registerRefusals.isEmpty {
                        let (status, type, message) = state.registerRefusals.removeFirst()
                        return Self.error(status, type, message)
                    }
                    guard var definition = try? JSONDecoder().decode(ECS.TaskDefinition.self, from: body) else {
                        return Self.error(400, "ClientException", "unreadable")
                    }
                    let revision = (state.families[definition.family]?.count ?? 0) + 1
                    definition.revision = revision
                    definition.status = "ACTIVE"
                    definition.taskDefinitionArn = "arn:aws:ecs:us-east-1:123456789012:task-definition/\(definition.family):\(revision)"
                    state.families[definition.family, default: []].append(definition)
                    return Self.json(["taskDefinition": definition])
                default:
                    return Self.error(400, "InvalidAction", operation)
                }
            }
        }

        static func json(_ value: some Encodable) -> Response {
            Response(
                status: .ok, headers: [.contentType: "application/x-amz-json-1.1"],
                body: .init(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(value)) ?? Data())))
        }

        static func error(_ status: Int, _ type: String, _ message: String) -> Response {
            let data = (try? JSONSerialization.data(withJSONObject: ["__type": type, "message": message])) ?? Data()
            return Response(
                status: .init(code: status), headers: [.contentType: "application/x-amz-json-1.1"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }

        func serve<T: Sendable>(_ body: @Sendable (ECSClient) async throws -> T) async throws -> T {
            let router = Router()
            router.post("/") { request, _ -> Response in
                let bytes = try await request.body.collect(upTo: 1 << 20)
                let operation = (request.headers[HTTPField.Name("X-Amz-Target")!] ?? "").split(separator: ".").last.map(String.init) ?? ""
                return self.answer(operation, Data(buffer: bytes))
            }
            return try await Application(router: router).test(.live) { client in
                let endpoint = Endpoint(scheme: "http", host: "127.0.0.1", port: client.port!, isAWS: false)
                let aws = AWSClient(
                    configuration: AWSConfiguration(region: "us-east-1", endpoints: [.ecs: endpoint]), httpClient: TestAWS.httpClient,
                    credentialProvider: StaticCredentialProvider(TestAWS.credentials), retry: RetryPolicy(maxAttempts: 1))
                return try await body(ECSClient(client: aws))
            }
        }
    }

    static func lookUp(_ registry: TaskDefinitionRegistry, _ image: String?, _ ecs: ECSClient) async throws -> String {
        try await registry.taskDefinition(for: image, baseName: baseName, containerName: container, ecs: ecs, logger: Logger(label: "test"))
    }

    @Test func aBatchOnANewImageRegistersItOnceAndEveryEnvironmentFindsTheSameCopy() async throws {
        let ecs = ScriptedECS()
        try await ecs.serve { client in
            let registry = TaskDefinitionRegistry()
            let arns = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 { group.addTask { try await Self.lookUp(registry, "busybox:1.36", client) } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(arns.count == 1)
            let arn = try #require(arns.first)
            #expect(ecs.count("RegisterTaskDefinition") == 1, "\(ecs.calls)")
            #expect(arn.contains("task-definition/count-to-three-") && arn.hasSuffix(":1"), "\(arn)")
            // Only the wish's container changed; the init container and the rest are the stack's.
            let copy = try await client.describeTaskDefinition(arn)
            #expect(copy.containerDefinitions.map(\.image) == ["wishes:1", "busybox:1.36"])

            // Cached: no more calls for the same image. Another Lambda environment (a new registry)
            // finds the copy by its family and does not register again.
            let before = ecs.calls.count
            #expect(try await Self.lookUp(registry, "busybox:1.36", client) == arn)
            #expect(ecs.calls.count == before)
            #expect(try await Self.lookUp(TaskDefinitionRegistry(), "busybox:1.36", client) == arn)
            #expect(ecs.count("RegisterTaskDefinition") == 1, "\(ecs.calls)")

            // Another image is another copy; no image, or the stack's own, is the stack's definition.
            let alpine = try await Self.lookUp(registry, "alpine:3.20", client)
            #expect(alpine != arn && alpine.contains("count-to-three-"))
            #expect(try await Self.lookUp(registry, nil, client) == Self.baseName)
            #expect(try await Self.lookUp(registry, "amazonlinux:2023-minimal", client) == Self.baseName)
            #expect(ecs.count("RegisterTaskDefinition") == 2, "\(ecs.calls)")
        }
    }

    @Test func aThrottledRegistrationWaitsAsAThrottledLaunchDoesAndIsNotCached() async throws {
        let ecs = ScriptedECS()
        ecs.state.withLockedValue { $0.registerRefusals = [(400, "ThrottlingException", "Rate exceeded")] }
        try await ecs.serve { client in
            let registry = TaskDefinitionRegistry()
            await #expect {
                _ = try await Self.lookUp(registry, "busybox:1.36", client)
            } throws: { error in
                guard case .noCapacity(_, let pool) = error as? DispatchError else { return false }
                return pool == Dispatcher.throttled
            }
            let arn = try await Self.lookUp(registry, "busybox:1.36", client)
            #expect(arn.hasSuffix(":1"), "the retry registers the first revision: \(arn)")
        }
    }

    @Test func anImageECSRefusesIsAFailureNamingECSsReason() async throws {
        let ecs = ScriptedECS()
        ecs.state.withLockedValue {
            $0.registerRefusals = [(400, "ClientException", "Invalid 'image' in container count-to-three: repository name must be lowercase")]
        }
        try await ecs.serve { client in
            await #expect {
                _ = try await Self.lookUp(TaskDefinitionRegistry(), "BusyBox", client)
            } throws: { error in
                guard case .refused(let image, let reason) = error as? TaskDefinitionRegistry.Failure else { return false }
                return image == "BusyBox" && reason.contains("must be lowercase")
            }
        }
    }

    @Test func aMissingStackDefinitionIsADeploymentProblemNotTheWishs() async throws {
        let ecs = ScriptedECS()
        ecs.state.withLockedValue { $0.families = [:] }
        try await ecs.serve { client in
            await #expect {
                _ = try await Self.lookUp(TaskDefinitionRegistry(), "busybox:1.36", client)
            } throws: { error in
                guard case .unusableBase(let name, _) = error as? TaskDefinitionRegistry.Failure else { return false }
                return name == Self.baseName
            }
            #expect(ecs.count("RegisterTaskDefinition") == 0)
        }
    }
}
