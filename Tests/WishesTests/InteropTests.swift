import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// What we write, boto3 reads; what boto3 writes, we read.
@Suite(.serialized) struct InteropTests {
    struct Request: Codable {
        var mode: String
        var bucket: String
        var queueUrl: String
        var keys: [String]
    }
    struct ReadBack: Codable {
        struct Object: Codable {
            var body: String
            var contentType: String
            var metadata: [String: String]
        }
        struct Message: Codable {
            var body: String
            var attributes: [String: String]
        }
        var objects: [String: Object]?
        var listed: [String]?
        var messages: [Message]?
    }

    static let keys = ["wishes/01abc/spec.json", "with space+plus/ü 日本.txt"]

    @Test func boto3ReadsWhatWeWrote() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                for key in Self.keys {
                    try await aws.s3.putObject(
                        bucket: bucket, key: key, body: Array("we wrote \(key)".utf8), contentType: "application/json", metadata: ["wish-id": "01abc"])
                }
                try await aws.sqs.sendMessage(queueURL: queue, .init(id: "1", body: "{\"wish\":\"ünïcode ✨\"}", attributes: ["wishId": .init(string: "01abc")]))
                let read = try await Python.run(
                    "boto3_interop.py", input: Request(mode: "read", bucket: bucket, queueUrl: queue, keys: Self.keys),
                    environment: aws.pythonEnvironment, as: ReadBack.self)
                for key in Self.keys {
                    #expect(read.objects?[key]?.body == "we wrote \(key)")
                    #expect(read.objects?[key]?.contentType == "application/json")
                    #expect(read.objects?[key]?.metadata == ["wish-id": "01abc"])
                }
                #expect(read.listed?.sorted() == Self.keys.sorted())
                #expect(read.messages?.first?.body == "{\"wish\":\"ünïcode ✨\"}")
                #expect(read.messages?.first?.attributes == ["wishId": "01abc"])
            }
        }
    }

    @Test func weReadWhatBoto3Wrote() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                _ = try await Python.run(
                    "boto3_interop.py", input: Request(mode: "write", bucket: bucket, queueUrl: queue, keys: Self.keys),
                    environment: aws.pythonEnvironment, as: ReadBack.self)
                for key in Self.keys {
                    let object = try await aws.s3.getObject(bucket: bucket, key: key)
                    #expect(object.text == "boto3 wrote \(key)")
                    #expect(object.contentType == "text/x-boto3")
                    #expect(object.metadata == ["writer": "boto3"])
                }
                #expect(try await aws.s3.listAllObjects(bucket: bucket).map(\.key).sorted() == Self.keys.sorted())
                let message = try #require(try await aws.sqs.receiveMessages(queueURL: queue, waitTimeSeconds: 1).first)
                #expect(message.Body == "from boto3 ✨")
                #expect(message.MessageAttributes?["writer"]?.StringValue == "boto3")
            }
        }
    }
}

/// ECS request bodies against botocore's model: moto's Fargate RunTask is broken, so the model is the referee.
struct ECSModelTests {
    struct Checked: Codable {
        var target: String
        var contentType: String
        var body: String
    }
    struct Verdict: Codable {
        var operation: String
        var errors: [String]
    }

    static func requests() throws -> [AWSRequest] {
        let ecs = ECSClient(
            client: AWSClient(
                configuration: AWSConfiguration(region: "us-east-1"), httpClient: TestAWS.httpClient,
                credentialProvider: StaticCredentialProvider(TestAWS.credentials)))
        let full = ECS.RunTaskInput(
            cluster: "wishes", taskDefinition: "count-to-three:3", count: 1, clientToken: "01abc-1-0",
            capacityProviderStrategy: [.init(capacityProvider: "FARGATE_SPOT", weight: 1, base: 0)],
            networkConfiguration: .init(awsvpcConfiguration: .init(subnets: ["subnet-1"], securityGroups: ["sg-1"], assignPublicIp: "ENABLED")),
            overrides: .init(
                containerOverrides: [
                    .init(
                        name: "count-to-three", command: ["./build.sh", "x"],
                        environment: [.init(name: "WISH_ID", value: "01abc")], cpu: 256, memory: 512)
                ],
                cpu: "256", memory: "512"),
            tags: [.init(key: "wish-id", value: "01abc")], startedBy: "wishes/01abc", group: "wish:01abc",
            propagateTags: "TASK_DEFINITION", enableECSManagedTags: true
        )
        let minimal = ECS.RunTaskInput(taskDefinition: "count-to-three", launchType: "FARGATE")
        struct Describe: Encodable {
            var cluster: String?
            var tasks: [String]
            var include = ["TAGS"]
        }
        struct Stop: Encodable {
            var cluster: String?
            var task: String
            var reason: String?
        }
        return try dispatcherRequests(ecs) + taskDefinitionRequests(ecs) + [
            try ecs.request("RunTask", full),
            try ecs.request("RunTask", minimal),
            try ecs.request("DescribeTasks", Describe(cluster: "wishes", tasks: ["arn:aws:ecs:us-east-1:1:task/wishes/abc"])),
            try ecs.request("StopTask", Stop(cluster: "wishes", task: "abc", reason: "timed out after 60 s")),
            try ecs.request("ListTasks", ECS.ListTasksInput(cluster: "wishes", startedBy: "wishes/01abc", desiredStatus: "RUNNING", maxResults: 100)),
            try ecs.request("ListTasks", ECS.ListTasksInput(cluster: "wishes", family: "count-to-three", nextToken: "t")),
            try ecs.request("ListTasks", ECS.ListTasksInput(cluster: "wishes", desiredStatus: "RUNNING", nextToken: "t", maxResults: 100)),
        ]
    }

    /// What the dispatcher itself sends: Spot and on-demand, an array child, a VPC, a prefix.
    static func dispatcherRequests(_ ecs: ECSClient) throws -> [AWSRequest] {
        let aws = AWSClients(client: ecs.client)
        var settings = WishesSettings(
            bucket: "wishes-results", prefix: "team-a/", cluster: "wishes", taskDefinition: "count-to-three:3",
            containerName: "count-to-three")
        settings.subnets = ["subnet-0abc", "subnet-0def"]
        settings.securityGroups = ["sg-0123"]
        let dispatcher = Dispatcher(aws: aws, settings: settings)
        let id = WishID.generate(at: Date())
        var requests: [AWSRequest] = []
        for (body, index) in [
            (#"{"wish":"x"}"#, nil),
            (#"{"command":["sh","-c","exit 0"],"queue":"asap-uninterruptible","vcpus":4,"memory":30720,"arraySize":3,"timeoutSeconds":3600}"#, 2),
        ] as [(String, Int?)] {
            let spec = try WishSpec.parse(json: Array(body.utf8), now: Date())
            let input = try dispatcher.runTaskInput(TaskIdentity(subject: WishSubject(id: id, arrayIndex: index), attempt: 10), spec: spec)
            #expect(input.clientToken.map { $0.count <= 64 } == true, "RunTask's clientToken holds at most 64 characters")
            #expect(input.startedBy.map { $0.count <= 128 && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } } == true)
            requests.append(try ecs.request("RunTask", input))
        }
        return requests
    }

    /// The stack's definition as deploy/wishes.yaml writes it, as DescribeTaskDefinition answers it.
    static let stackDefinition = ECS.TaskDefinition(
        family: "count-to-three", taskRoleArn: "arn:aws:iam::123456789012:role/wishes-TaskRole",
        executionRoleArn: "arn:aws:iam::123456789012:role/wishes-TaskExecutionRole", networkMode: "awsvpc",
        containerDefinitions: [
            ECS.ContainerDefinition(
                name: "wishes-init", image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/wishes:1", essential: false,
                entryPoint: ["/opt/wishes/CountToThree"], command: ["--install", "/wishes-bin"],
                mountPoints: [.init(sourceVolume: "wishes-bin", containerPath: "/wishes-bin")],
                logConfiguration: .init(
                    logDriver: "awslogs", options: ["awslogs-group": "/wishes/count-to-three", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "wish"])),
            ECS.ContainerDefinition(
                name: "count-to-three", image: "public.ecr.aws/amazonlinux/amazonlinux:2023-minimal", essential: true,
                entryPoint: ["/wishes-bin/CountToThree"], environment: [.init(name: "WISHES_CA_BUNDLE", value: "/wishes-bin/ca-bundle.crt")],
                mountPoints: [.init(sourceVolume: "wishes-bin", containerPath: "/wishes-bin", readOnly: true)],
                dependsOn: [.init(containerName: "wishes-init", condition: "SUCCESS")], stopTimeout: 120,
                logConfiguration: .init(logDriver: "awslogs", options: ["awslogs-group": "/wishes/count-to-three", "awslogs-stream-prefix": "wish"])),
        ],
        volumes: [.init(name: "wishes-bin")], requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512",
        runtimePlatform: .init(cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX"))

    /// What the dispatcher sends for a wish naming its own image: the copy it registers, and the lookups.
    static func taskDefinitionRequests(_ ecs: ECSClient) throws -> [AWSRequest] {
        var base = stackDefinition
        base.taskDefinitionArn = "arn:aws:ecs:us-east-1:123456789012:task-definition/count-to-three:7"
        let copy = try #require(
            try TaskDefinitionRegistry.copy(of: base, named: "count-to-three", image: "busybox:1.36", containerName: "count-to-three"))
        #expect(copy.family.hasPrefix("count-to-three-") && copy.family.count == "count-to-three-".count + 16)
        #expect(copy.containerDefinitions.map(\.image) == [base.containerDefinitions[0].image, "busybox:1.36"], "only the wish's container changes")
        struct Describe: Encodable { var taskDefinition: String }
        return [
            try ecs.request("RegisterTaskDefinition", copy.registration()),
            try ecs.request("DescribeTaskDefinition", Describe(taskDefinition: "count-to-three")),
            try ecs.request("DescribeTaskDefinition", Describe(taskDefinition: copy.family)),
        ]
    }

    @Test func everyRequestShapeIsValidForBotocoresModel() async throws {
        let requests = try Self.requests()
        let checked = requests.map { request in
            Checked(
                target: request.headers.first { $0.name == "X-Amz-Target" }?.value ?? "",
                contentType: request.headers.first { $0.name == "Content-Type" }?.value ?? "",
                body: String(decoding: request.body, as: UTF8.self))
        }
        let verdicts = try await Python.run("botocore_validate_ecs.py", input: checked, as: [Verdict].self)
        #expect(verdicts.count == requests.count)
        for verdict in verdicts {
            #expect(verdict.errors.isEmpty, "\(verdict.operation): \(verdict.errors)")
        }
    }

    @Test func theModelRefereeRejectsABadShape() async throws {
        // A wrong type must be caught, or the test above proves nothing.
        let bad = Checked(
            target: "AmazonEC2ContainerServiceV20141113.RunTask", contentType: "application/x-amz-json-1.1",
            body: "{\"taskDefinition\": 5, \"count\": \"one\"}")
        let verdicts = try await Python.run("botocore_validate_ecs.py", input: [bad], as: [Verdict].self)
        #expect(verdicts.first?.errors.isEmpty == false)
    }
}
