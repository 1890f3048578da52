import Foundation
import Logging
import Wishes
import WishesAWS
import WishesWeb

/// Storage round trips per wish on each path, counted by the in-memory store the unit tests use:
/// the same code as in AWS, with every GET, PUT, DELETE and LIST to S3 counted as one call.
/// SQS and ECS point at a closed port; no path counted here may reach them.
struct CallsBench {
    let objects = MemoryObjectStorage()
    let settings = WishesSettings(bucket: "bench", queueURL: "http://127.0.0.1:9/000000000000/wishes", cluster: "wishes", taskDefinition: "wishes:1")

    static let unreachable: AWSClients = {
        let endpoint = Endpoint(scheme: "http", host: "127.0.0.1", port: 9, isAWS: false)
        let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.sqs: endpoint, .s3: endpoint, .ecs: endpoint, .sts: endpoint])
        let client = AWSClient(
            configuration: configuration, httpClient: AWSClient.makeHTTPClient(),
            credentialProvider: StaticCredentialProvider(Credentials(accessKeyId: "AKIDBENCH", secretAccessKey: "bench")),
            retry: RetryPolicy(maxAttempts: 1))
        return AWSClients(client: client)
    }()

    /// A new environment's view of the store (its spec cache cold), as a new Lambda or task has.
    func environment() -> WishStore { WishStore(objects: objects, layout: settings.layout) }

    func counted(_ body: () async throws -> Void) async rethrows -> Int {
        objects.resetCalls()
        try await body()
        return objects.totalCalls
    }

    func run() async throws -> [BenchFigure] {
        let store = environment()
        var figures: [BenchFigure] = []
        let spec = WishSpec(wish: "", command: ["sh", "-c", "echo hello"], environment: [.init(name: "TOKEN", value: "secret")], attempts: 2)
        let id = WishID.generate(at: Date())
        figures.append(
            .init(
                name: "calls: submit (store the wish; the SQS send is one more)", unit: "S3 calls",
                value: Double(try await counted { try await store.create(spec, id: id, createdAt: Date(), updatedAt: Date()) })))

        // The task, given its spec by RunTask's overrides, with an environment to read.
        var options = AttemptOptions(identity: TaskIdentity(subject: WishSubject(id: id), attempt: 1))
        options.spec = spec.redacted
        let runner = AttemptRunner(
            aws: Self.unreachable, store: WishStore(objects: objects, layout: settings.layout, specCacheSize: 1), settings: settings,
            options: options, baseEnvironment: ["PATH": "/usr/bin:/bin"], logger: Logger(label: "bench"))
        var code: Int32 = 0
        figures.append(.init(name: "calls: task (one attempt of a command)", unit: "S3 calls", value: Double(await counted { code = await runner.run() })))
        guard code == 0 else { throw BenchError("the counted attempt failed with exit code \(code)") }

        // Its STOPPED event, in a dispatcher environment that has not read the wish yet.
        let dispatcher = Dispatcher(aws: Self.unreachable, store: environment(), settings: settings)
        let identity = options.identity
        let event = try WishJSON.decode(
            TaskStateChange.self,
            from: Array(
                """
                {"taskArn": "arn:aws:ecs:us-east-1:000000000000:task/wishes/\(identity.startedBy)", "lastStatus": "STOPPED",
                 "startedBy": "\(identity.startedBy)", "group": "wishes:default", "stopCode": "EssentialContainerExited",
                 "containers": [{"name": "\(DeployedNames.container)", "exitCode": 0}]}
                """.utf8))
        figures.append(
            .init(
                name: "calls: dispatch of a task's STOPPED event (the wish ends)", unit: "S3 calls",
                value: Double(try await counted { try await dispatcher.handle(event, logger: Logger(label: "bench")) })))
        guard try await store.statuses.read(WishSubject(id: id))?.state == .succeeded else { throw BenchError("the counted wish did not succeed") }

        // The detail page's refresh: the wish, every attempt's result and the output's tail.
        let book = WishBook(aws: Self.unreachable, store: environment(), settings: settings)
        figures.append(
            .init(
                name: "calls: page refresh (detail and output tail)", unit: "S3 calls",
                value: Double(
                    try await counted {
                        let detail = try await book.detail(id)
                        let last = detail?.status.attempts.last?.number
                        _ = try await book.outputTail(id, attempt: last, bytes: 8192)
                    })))

        // The end of one child of a 10,000-child array, after 9,000 others.
        let parent = WishID.generate(at: Date())
        let size = 10_000
        try await store.create(WishSpec(wish: "", command: ["true"], arraySize: size), id: parent, createdAt: Date(), updatedAt: Date())
        for index in 0..<9_000 { _ = try await store.countChild(parent, index: index, of: size, state: .succeeded) }
        figures.append(
            .init(
                name: "calls: one array child's end counted (10,000 children, 9,000 ended)", unit: "S3 calls",
                value: Double(try await counted { _ = try await store.countChild(parent, index: 9_000, of: size, state: .succeeded) })))
        return figures
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
