import Foundation
import NIOCore
import Wishes

@testable import WishesAWS

/// The built `LocalCloud`, started once per test process: moto, MakeAWish, CountToThree and Web,
/// as `./scripts/run` starts them, on free ports.
actor LocalCloudProcess {
    static let shared = LocalCloudProcess()

    struct State: Decodable, Sendable {
        var web: String
        var endpoint: String
        var ecs: String
        var lambda: String
        var queueURL: String
        var asapQueueURL: String
        var bucket: String
        /// The web's token (`WISHES_API_TOKEN`, or the one the local cloud made and printed).
        var apiToken: String
        /// The local cloud's console output (a file), as `./scripts/run` shows it.
        var log: String?
        /// Temporary credentials the local cloud minted for tools: its moto checks every signature.
        var credentials: Keys
        /// The WISHES_ and AWS_ settings the local cloud gave its function and web.
        var environment: [String: String]?
        /// The LocalCloud process (set by the launch, not read from the state file).
        var pid: Int32?

        struct Keys: Decodable, Sendable {
            var accessKeyId: String
            var secretAccessKey: String
            var sessionToken: String
        }

        /// Clients for the local cloud's moto and its Fargate stand-in.
        func aws() throws -> AWSClients {
            guard let endpoint = Endpoint(url: endpoint), let ecsEndpoint = Endpoint(url: ecs) else {
                throw TestError("bad endpoints \(self.endpoint), \(ecs)")
            }
            let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.sqs: endpoint, .s3: endpoint, .ecs: ecsEndpoint, .secretsmanager: endpoint])
            let keys = Credentials(accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken)
            return AWSClients(
                client: AWSClient(configuration: configuration, httpClient: TestAWS.httpClient, credentialProvider: StaticCredentialProvider(keys)))
        }

        /// `Authorization: Bearer <apiToken>`, as a program calls the local web.
        var bearer: [String: String] { ["Authorization": "Bearer \(apiToken)"] }

        /// A call to the local web (`path` from its root) with the token, as a program makes it.
        func call(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> HTTP.Answer {
            try await HTTP.call(method, "\(web)\(path)", body: body, headers: bearer.merging(headers) { _, given in given })
        }

        /// Submits a wish (a JSON body) and returns its id; anything but 202 fails the test.
        func submit(_ body: String) async throws -> String {
            let posted = try await call("POST", "/api/wishes", body: body, headers: ["Content-Type": "application/json"])
            guard posted.status == 202, let object = try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any],
                let id = object["id"] as? String
            else { throw TestError("submit answered \(posted.status): \(posted.body)") }
            return id
        }

        /// Polls the API until the wish is final (SUCCEEDED or FAILED), or fails after `seconds`: a bound
        /// on "every wish ends", generous because 37 suites share two cores and one moto (a wish of two
        /// attempts took 63 s there, with every step on time in its own terms).
        func final(_ id: String, within seconds: Int = 180) async throws -> [String: Any] {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                let answer = try await call("GET", "/api/wishes/\(id)")
                if answer.status == 200, let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
                    let status = object["state"] as? String, status == "SUCCEEDED" || status == "FAILED"
                {
                    return object
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw TestError("wish \(id) not final after \(seconds) s")
        }

        /// What boto3 needs to reach the same moto.
        var pythonEnvironment: [String: String] {
            [
                "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey,
                "AWS_SESSION_TOKEN": credentials.sessionToken, "AWS_DEFAULT_REGION": "us-east-1",
            ]
        }
    }

    private var starting: Task<State, any Error>?

    func state() async throws -> State {
        if let starting { return try await starting.value }
        let task = Task { try await Self.start() }
        starting = task
        return try await task.value
    }

    /// A local cloud of the caller's own, with `environment` added to the test process's, stopped
    /// (SIGTERM, as Ctrl-C would) after `body`.
    static func withPrivateCloud<T>(environment extra: [String: String] = [:], arguments: [String] = [], _ body: (State) async throws -> T) async throws -> T {
        let (state, process) = try await launch(environment: extra, arguments: arguments)
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        return try await body(state)
    }

    private static func start() async throws -> State {
        // The cloud every suite shares runs its sweep every 10 s, not 3: a sweep lists every task of
        // the hour, and at 3 s, under the whole suite, sweeps overlapped and kept the function's
        // environments so busy that task events waited behind them for most of a minute.
        let (state, process) = try await launch(environment: [:], arguments: ["--schedule-seconds", "10", "--instances", "4"])
        localCloudPID = process.processIdentifier
        atexit { if localCloudPID > 0 { kill(localCloudPID, SIGTERM) } }
        return state
    }

    private static func launch(environment extra: [String: String], arguments: [String]) async throws -> (State, Process) {
        let binary = BuiltProducts.url("LocalCloud")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw TestError("\(binary.path) is missing: run swift build first") }
        let stateFile = FileManager.default.temporaryDirectory.appendingPathComponent("local-cloud-\(UUID().uuidString).json")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("local-cloud-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments =
            [
                "--port", String(try freePort()), "--count-interval", "0", "--state-file", stateFile.path,
                "--schedule-seconds", "3", "--instances", "3", "--spot-interruption-rate", "0",
            ] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["WISHES_EXIT_WITH_PARENT"] = "1"
        // A token of the test runner's environment would change what the suites check: the local
        // cloud makes its own unless a test gives one.
        for name in ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "WISHES_API_TOKEN"] { environment[name] = nil }
        process.environment = environment.merging(extra) { _, new in new }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<600 {
            if let data = try? Data(contentsOf: stateFile), var state = try? JSONDecoder().decode(State.self, from: data),
                let port = URL(string: state.web)?.port, canConnect(port: UInt16(port))
            {
                state.log = log.path
                state.pid = process.processIdentifier
                return (state, process)
            }
            guard process.isRunning else { throw TestError("LocalCloud exited; see \(log.path)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestError("LocalCloud did not come up in 60 s; see \(log.path)")
    }
}

nonisolated(unsafe) var localCloudPID: Int32 = 0

/// Plain HTTP for the end-to-end tests.
enum HTTP {
    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    static func call(_ method: String, _ url: String, body: String? = nil, headers: [String: String] = [:]) async throws -> Answer {
        var request = try HTTPClient.Request(method: .init(rawValue: method), url: url, body: Array((body ?? "").utf8))
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await TestAWS.httpClient.execute(request, timeout: .seconds(30), maxBodyBytes: 8 << 20)
        return Answer(status: response.status, headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: response.body))
    }
}
