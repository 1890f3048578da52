import Foundation
import Logging
import ServiceLifecycle
import Wishes
import WishesAWS

#if canImport(Glibc)
    import Glibc
#endif

/// The whole system on one machine: the same binaries as in AWS, only the endpoints changed.
struct LocalCloud {
    let options: LocalCloudOptions
    let logger: Logger

    /// The folder of this executable, where `swift build` put the other binaries too.
    var binaries: URL {
        URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .deletingLastPathComponent()
    }

    func binary(_ name: String) throws -> String {
        let path = binaries.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw LocalCloudError.missingBinary(path) }
        return path
    }

    func run() async throws {
        let outside = ProcessInfo.processInfo.environment
        var environment: [String: String] = [
            "PATH": outside["PATH"] ?? "/usr/bin:/bin", "HOME": outside["HOME"] ?? "/tmp", "LOG_LEVEL": outside["LOG_LEVEL"] ?? "info",
        ]
        let httpClient = AWSClient.makeHTTPClient()
        var moto: ChildProgram?
        // The operator's own key sets up queues and the bucket and mints everyone else's temporary
        // credentials; no program of the system ever sees it.
        let operatorKeys: Credentials
        let vendor: any CredentialVendor
        if let endpoint = outside["AWS_ENDPOINT_URL"], !endpoint.isEmpty {
            for name in ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"] { environment[name] = outside[name] }
            environment["AWS_REGION"] = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
            guard let key = outside["AWS_ACCESS_KEY_ID"], let secret = outside["AWS_SECRET_ACCESS_KEY"] else {
                throw LocalCloudError.missingCredentials
            }
            operatorKeys = Credentials(accessKeyId: key, secretAccessKey: secret, sessionToken: outside["AWS_SESSION_TOKEN"])
            let configuration = try AWSConfiguration.fromEnvironment(environment)
            let client = AWSClient(
                configuration: configuration, httpClient: httpClient, credentialProvider: StaticCredentialProvider(operatorKeys), logger: logger)
            if let role = outside["WISHES_LOCAL_ROLE_ARN"] {
                vendor = STSCredentialVendor(sts: STSClient(client: client), roleArn: role)
            } else {
                vendor = PassThroughVendor(credentials: operatorKeys)
                logger.warning("no WISHES_LOCAL_ROLE_ARN: every program gets the operator's own credentials")
            }
            logger.info("using the AWS endpoint from the environment; no moto started", metadata: ["endpoint": "\(endpoint)"])
        } else {
            guard let port = Ports.free() else { throw LocalCloudError.noFreePort }
            let (program, admin) = try await MotoServer.start(port: port, faultRate: options.awsFaultRate, latency: options.awsLatency)
            moto = program
            environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:\(port)"
            environment["AWS_REGION"] = "us-east-1"
            // A wish may name the example job role, as a stack's JobRoleArns lets it.
            environment["WISHES_JOB_ROLE_ARNS"] = admin.jobRoleArn
            operatorKeys = admin.credentials
            let configuration = try AWSConfiguration.fromEnvironment(environment)
            let client = AWSClient(
                configuration: configuration, httpClient: httpClient, credentialProvider: StaticCredentialProvider(operatorKeys), logger: logger)
            vendor = STSCredentialVendor(sts: STSClient(client: client), roleArn: admin.roleArn)
            logger.info("moto server started, checking every signature", metadata: ["endpoint": "http://127.0.0.1:\(port)"])
        }
        guard let ecsPort = Ports.free() else { throw LocalCloudError.noFreePort }
        environment["AWS_ENDPOINT_URL_ECS"] = "http://127.0.0.1:\(ecsPort)"

        let ring = KeyRing()
        ring.add(operatorKeys)
        do {
            try await serve(
                environment: environment, outside: outside, ecsPort: ecsPort, httpClient: httpClient, operatorKeys: operatorKeys,
                vendor: RecordingVendor(base: vendor, ring: ring), ring: ring)
        } catch {
            try? await httpClient.shutdown()
            await moto?.stop(grace: .seconds(2))
            throw error
        }
        await moto?.stop(grace: .seconds(2))
        try? await httpClient.shutdown()
        ConsoleOutput.write("LocalCloud | stopped")
    }

    func serve(
        environment: [String: String], outside: [String: String], ecsPort: Int, httpClient: HTTPClient,
        operatorKeys: Credentials, vendor: any CredentialVendor, ring: KeyRing
    ) async throws {
        var environment = environment
        let configuration = try AWSConfiguration.fromEnvironment(environment)
        let aws = AWSClients(
            client: AWSClient(
                configuration: configuration, httpClient: httpClient,
                credentialProvider: StaticCredentialProvider(operatorKeys), logger: logger))
        let resources = try await Resources.create(aws: aws, bucket: options.bucket, functionTimeout: options.functionTimeout, logger: logger)
        environment["WISHES_BUCKET"] = options.bucket
        environment["WISHES_QUEUE_URL"] = resources.queueURL
        environment["WISHES_ASAP_QUEUE_URL"] = resources.asapQueueURL
        environment["WISHES_CLUSTER"] = DeployedNames.cluster
        environment["WISHES_TASK_DEFINITION"] = DeployedNames.taskFamily
        environment["WISHES_RECHECK_SECONDS"] = outside["WISHES_RECHECK_SECONDS"] ?? "2"
        environment["WISHES_RETRY_BASE_SECONDS"] = outside["WISHES_RETRY_BASE_SECONDS"] ?? "1"
        environment["WISHES_STUCK_SECONDS"] = outside["WISHES_STUCK_SECONDS"] ?? "120"
        environment["WISHES_RECOVER_AFTER_SECONDS"] = outside["WISHES_RECOVER_AFTER_SECONDS"] ?? "10"
        environment["WISHES_SWEEP_PERIOD_SECONDS"] = String(options.scheduleSeconds)
        environment["WISHES_CAPACITY_BACKOFF_SECONDS"] = outside["WISHES_CAPACITY_BACKOFF_SECONDS"] ?? "2"
        environment["WISHES_GATE_WAIT_SECONDS"] = outside["WISHES_GATE_WAIT_SECONDS"] ?? "2"
        environment["WISHES_ASAP_FIRST_SECONDS"] = outside["WISHES_ASAP_FIRST_SECONDS"] ?? "10"
        environment["WISHES_CALLBACK_SECRET_ARN"] = resources.callbackSecretARN
        // Callbacks may reach this machine's own receivers here, over plain http too; never in AWS.
        environment["WISHES_CALLBACK_ALLOW_LOOPBACK"] = "1"
        environment["WISHES_CALLBACK_RETRY_SECONDS"] = outside["WISHES_CALLBACK_RETRY_SECONDS"] ?? "1,2,2,2"
        // The stack's limits, as deploy/wishes.yaml sets them for the function and the web.
        for name in [
            "WISHES_DEFAULT_TIMEOUT_SECONDS", "WISHES_MAX_TIMEOUT_SECONDS", "WISHES_MAX_ARRAY_VCPUS", "WISHES_JOB_ROLE_ARNS", "WISHES_QUEUE_MAX_VCPUS",
        ] {
            if let value = outside[name], !value.isEmpty { environment[name] = value }
        }

        let pool = try FunctionPool(
            count: options.instances, supervision: .environments(executable: try binary("MakeAWish"), credentials: vendor),
            environment: environment, functionTimeout: options.functionTimeout, memoryMB: options.functionMemoryMB,
            killRate: options.killRuntimeRate, logger: logger)
        let containerCredentials = ContainerCredentials(vendor: vendor)
        // The function's on-failure destination, as the template's EventInvokeConfig sets it.
        let sqs = aws.sqs
        let failedEventsQueue = resources.failedEventsQueueURL
        let events = try EventBus(
            pool: pool, scheduleEvery: .seconds(options.scheduleSeconds), deliversTaskEvents: options.taskEvents,
            faults: options.eventFaults,
            onFailure: { record in
                (try? await sqs.sendMessage(queueURL: failedEventsQueue, SQS.OutgoingMessage(id: "0", body: record))) != nil
            }, logger: logger)
        var taskEnvironment = environment
        taskEnvironment["WISHES_COUNT_INTERVAL_SECONDS"] = options.countInterval
        taskEnvironment["WISHES_KILL_GRACE_SECONDS"] = outside["WISHES_KILL_GRACE_SECONDS"] ?? "3"
        var fargateOptions = FargateStandIn.Options(
            port: ecsPort, executable: try options.taskExecutable ?? binary("CountToThree"),
            environment: taskEnvironment, credentials: containerCredentials,
            signatureCheck: SignatureCheck(ring: ring, region: "us-east-1", service: "ecs"))
        fargateOptions.launchBurst = options.launchBurst
        fargateOptions.launchRate = options.launchRate
        fargateOptions.spotInterruptionRate = options.spotInterruptionRate
        fargateOptions.spotUnavailableRate = options.spotUnavailableRate
        fargateOptions.maxRunning = options.maxRunning
        fargateOptions.stoppedRetention = options.stoppedRetention
        fargateOptions.faultRate = options.awsFaultRate
        fargateOptions.latency = options.awsLatency
        fargateOptions.stopTimeout = .seconds(5)
        let fargate = FargateStandIn(options: fargateOptions, events: events, logger: logger)
        guard let lambdaPort = Ports.free() else { throw LocalCloudError.noFreePort }
        var services: [any Service] = [pool, events, fargate, InvokeEndpoint(port: lambdaPort, pool: pool, logger: logger)]
        // Both queues poll at once, as their two event source mappings do in AWS; their batches
        // together leave one environment for events and the tick (`MappingConcurrency`).
        let mappings = MappingConcurrency(options.instances - 1)
        services.append(
            EventSourceMapping(
                sqs: aws.sqs, queueURL: resources.asapQueueURL, queueName: "wishes-asap", pool: pool, concurrency: mappings,
                maxConcurrency: options.instances, logger: logger))
        services.append(
            EventSourceMapping(
                sqs: aws.sqs, queueURL: resources.queueURL, queueName: "wishes", pool: pool, concurrency: mappings,
                maxConcurrency: options.instances, logger: logger))
        // Dead letters and events that failed their tries come back to the function, as the template maps them.
        for (name, url) in resources.deadLetterQueueURLs.sorted(by: { $0.key < $1.key }) {
            services.append(
                EventSourceMapping(sqs: aws.sqs, queueURL: url, queueName: name, pool: pool, concurrency: mappings, maxConcurrency: 1, logger: logger))
        }
        services.append(
            EventSourceMapping(
                sqs: aws.sqs, queueURL: resources.failedEventsQueueURL, queueName: DeployedNames.failedEventsQueue, pool: pool, concurrency: mappings,
                maxConcurrency: 1, logger: logger))
        let webURL = "http://127.0.0.1:\(options.webPort)"
        // The web always has a token: any page the developer visits could otherwise make the browser
        // submit wishes, which run commands on this machine. A token of the environment is kept;
        // otherwise one is made, and the sign-in link printed.
        let givenToken = outside["WISHES_API_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let apiToken = givenToken ?? Self.newToken()
        if options.web {
            var webEnvironment = environment
            webEnvironment["WISHES_WEB_PORT"] = String(options.webPort)
            webEnvironment["WISHES_WEB_HOST"] = "127.0.0.1"
            webEnvironment["WISHES_API_TOKEN"] = apiToken
            if let hosts = outside["WISHES_WEB_ALLOWED_HOSTS"], !hosts.isEmpty { webEnvironment["WISHES_WEB_ALLOWED_HOSTS"] = hosts }
            // The web runs as an ECS service in AWS: its keys come from the container endpoint too.
            let grant = await containerCredentials.grant(session: "web")
            webEnvironment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "\(fargate.credentialsBase)/\(grant.id)"
            webEnvironment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = grant.token
            services.append(ProgramService(program: ChildProgram(name: "Web", executable: try binary("Web"), environment: webEnvironment)))
        }
        // Tests and tools reach the local moto with their own temporary credentials, as a developer would.
        let toolKeys = try await vendor.credentials(session: "local-tools", durationSeconds: 43_200)
        try writeState(
            environment: environment, resources: resources, ecsPort: ecsPort, lambdaPort: lambdaPort, webURL: webURL, credentials: toolKeys,
            apiToken: apiToken)
        // A token the developer chose is theirs to know and is not echoed; a made one is, in the link.
        let signIn = givenToken == nil ? "\(webURL)/login?token=\(apiToken)" : "\(webURL)/login (the token is your WISHES_API_TOKEN)"
        ConsoleOutput.write("LocalCloud | up: \(options.web ? "open \(signIn) and click the button" : "no web front (--no-web)"); Ctrl-C stops everything")
        if options.web {
            ConsoleOutput.write(
                "LocalCloud | the API takes the same token: curl -H 'Authorization: Bearer \(givenToken == nil ? apiToken : "$WISHES_API_TOKEN")' \(webURL)/api/wishes"
            )
        }
        ConsoleOutput.write("LocalCloud | Lambda invoke (as the emulator's): POST http://127.0.0.1:\(lambdaPort)/2015-03-31/functions/function/invocations")
        // Every component stops on cancellation (children get SIGTERM, then SIGKILL), so signals cancel.
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [], cancellationSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch is CancellationError {
            // Ctrl-C or SIGTERM: the normal way to stop.
        } catch {
            logger.error("a component stopped", metadata: ["error": "\(error)"])
        }
        await fargate.table.stopAll()
    }

    /// 32 random bytes, hex: as long as `openssl rand -hex 32`.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    func writeState(
        environment: [String: String], resources: Resources, ecsPort: Int, lambdaPort: Int, webURL: String, credentials: Credentials,
        apiToken: String
    ) throws {
        guard let path = options.stateFile else { return }
        let state: [String: Any] = [
            "web": webURL, "apiToken": apiToken, "endpoint": environment["AWS_ENDPOINT_URL"] ?? "", "ecs": "http://127.0.0.1:\(ecsPort)",
            "lambda": "http://127.0.0.1:\(lambdaPort)",
            "queueURL": resources.queueURL, "asapQueueURL": resources.asapQueueURL, "bucket": options.bucket,
            "environment": environment.filter { $0.key.hasPrefix("WISHES_") || $0.key.hasPrefix("AWS_") },
            "credentials": [
                "accessKeyId": credentials.accessKeyId, "secretAccessKey": credentials.secretAccessKey,
                "sessionToken": credentials.sessionToken ?? "",
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: state, options: [.sortedKeys, .prettyPrinted])
        // It holds credentials: the owner alone may read it.
        guard FileManager.default.createFile(atPath: path + ".tmp", contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path + ".tmp"])
        }
        // Readers see the whole file or none: rename is atomic.
        guard rename(path + ".tmp", path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }
}

/// A child program as a service: started with the group, stopped with it.
struct ProgramService: Service {
    let program: ChildProgram
    func run() async throws {
        try program.start()
        await withTaskCancellationOrGracefulShutdownHandler {
            _ = await program.wait()
        } onCancelOrGracefulShutdown: {
            program.signal(SIGTERM)
        }
    }
}
