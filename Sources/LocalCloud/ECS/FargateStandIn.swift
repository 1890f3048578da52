import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Wishes
import WishesAWS

#if canImport(Glibc)
    import Glibc
#endif

/// ECS's JSON 1.1 API (RunTask, DescribeTasks, StopTask, ListTasks) over task binaries run as
/// child processes: clientToken idempotency, Fargate's launch rate, Spot interruptions.
final class FargateStandIn: Service, Sendable {
    struct Options: Sendable {
        var port: Int
        var executable: String
        var environment: [String: String]
        var launchBurst = 100.0
        var launchRate = 20.0
        /// Chance that a Spot task is interrupted, at a random moment in its first `interruptWithin`.
        var spotInterruptionRate = 0.0
        var interruptWithin: Duration = .seconds(5)
        /// SIGTERM to SIGKILL on StopTask (ECS's stopTimeout).
        var stopTimeout: Duration = .seconds(30)
        var maxRunning = 64
        /// Chance that a FARGATE_SPOT launch is refused for capacity, as Spot is when it has none.
        var spotUnavailableRate = 0.0
        /// Chance that an ECS call is throttled, or carried out and answered with a server error.
        var faultRate = 0.0
        /// How long each call is held before it is answered (`--aws-latency`'s ecs and runtask).
        var latency = AWSLatency()
        /// How long a stopped task stays known (listed and described), as ECS keeps it about an hour.
        var stoppedRetention: TimeInterval = 3600
        var containerName = DeployedNames.container
        /// Where each task's volumes are made (one folder per task, removed when it stops).
        var volumesDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("wishes-fargate-\(getpid())").path
        /// The Wishes image's files here: its CountToThree is the task binary, and the rest of
        /// /opt/wishes the folder that binary was built in.
        var imagePaths: [(String, String)] {
            [("\(TaskLayout.imageBinaries)/CountToThree", executable), (TaskLayout.imageBinaries, (executable as NSString).deletingLastPathComponent)]
        }
        /// The task role's credentials, served to each task at its own path.
        var credentials: ContainerCredentials
        /// Every request must be signed with a key the local cloud issued, as ECS checks.
        var signatureCheck: SignatureCheck
        /// Each task gets the vCPUs its size names (256 CPU units are a quarter of one), as Fargate
        /// gives them, where this machine lets a cpu cgroup be made.
        var limitsCPU = true
    }

    let options: Options
    let events: EventBus
    let logger: Logger
    let table: TaskTable
    let definitions: TaskDefinitionBook
    /// Each task's life (start, wait, stop), Spot interruptions and stops: children of `run`.
    let work = ChildTasks()
    let cluster = "arn:aws:ecs:us-east-1:000000000000:cluster/wishes"
    /// Whether cpu cgroups can be made here, asked once so a machine without them warns once.
    let limitsCPU: Bool

    init(options: Options, events: EventBus, logger: Logger) {
        self.options = options
        self.events = events
        self.logger = logger
        if options.limitsCPU {
            let probe = CPUShare.make(name: "fargate-probe", cpus: 1, logger: logger, holder: "Fargate's tasks")
            limitsCPU = probe != .unlimited
            probe.remove()
        } else {
            limitsCPU = false
        }
        table = TaskTable(burst: options.launchBurst, rate: options.launchRate, stoppedRetention: options.stoppedRetention)
        definitions = TaskDefinitionBook(containerName: options.containerName, environment: options.environment)
    }

    func run() async throws {
        defer { try? FileManager.default.removeItem(atPath: options.volumesDirectory) }
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: options.port), serverName: nil), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.work.run() }
            defer { group.cancelAll() }
            do {
                try await app.run()
            } catch {
                // Every task's program stops before the group ends: their lives wait for them to exit.
                await table.stopAll()
                throw error
            }
            await table.stopAll()
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/") { request, _ -> Response in
            let target = request.headers[HTTPField.Name("X-Amz-Target")!] ?? ""
            let bytes = Array(buffer: try await request.body.collect(upTo: 1 << 20))
            // HTTPTypes keeps the Host header as the request's authority.
            let headers = [("host", request.head.authority ?? "")] + request.headers.map { ($0.name.canonicalName, $0.value) }
            if let refusal = self.options.signatureCheck.verify(method: "POST", path: request.uri.path, headers: headers, body: bytes) {
                let status = ["InvalidSignatureException", "MissingAuthenticationTokenException"].contains(refusal.code) ? 403 : 400
                return Self.error(status, refusal.code, refusal.message)
            }
            let body = Data(bytes)
            let operation = target.split(separator: ".").last.map(String.init) ?? ""
            // ECS's bad days at --aws-fault-rate: throttled before anything happens, or done and then
            // answered with a server error, so the caller repeats what already happened.
            let held = operation == "RunTask" ? self.options.latency.runTask : self.options.latency.ecs
            if held > .zero { try await Task.sleep(for: held) }
            let fault = Double.random(in: 0..<1) < self.options.faultRate
            if fault, Bool.random() { return Self.error(400, "ThrottlingException", "Rate exceeded") }
            let response: Response
            do {
                switch operation {
                case "RunTask": response = try await self.runTask(JSONDecoder().decode(ECS.RunTaskInput.self, from: body))
                case "DescribeTasks": response = try await self.describeTasks(body)
                case "StopTask": response = try await self.stopTask(body)
                case "ListTasks": response = try await self.listTasks(JSONDecoder().decode(ECS.ListTasksInput.self, from: body))
                case "DescribeTaskDefinition":
                    struct Input: Decodable { var taskDefinition: String }
                    let name = try JSONDecoder().decode(Input.self, from: body).taskDefinition
                    if let found = await self.definitions.describe(name) {
                        response = Self.json(encodable: ["taskDefinition": found])
                    } else {
                        response = Self.error(400, "ClientException", "Unable to describe task definition.")
                    }
                case "RegisterTaskDefinition":
                    switch await self.definitions.register(try JSONDecoder().decode(ECS.TaskDefinition.self, from: body)) {
                    case .success(let registered): response = Self.json(encodable: ["taskDefinition": registered])
                    case .failure(let problem): response = Self.error(400, problem.code, problem.message)
                    }
                default: return Self.error(400, "InvalidAction", "\(target) is not an operation of this ECS")
                }
            } catch let error as DecodingError {
                return Self.error(400, "InvalidParameterException", "\(error)")
            }
            return fault ? Self.error(500, "ServerException", "An internal error occurred") : response
        }
        router.get("/v4/:id/task") { _, context -> Response in
            guard let task = await self.table.task(context.parameters.get("id") ?? "") else { return Self.error(404, "NotFound", "no such task") }
            return Self.json([
                "TaskARN": task.arn, "Cluster": task.clusterArn, "DesiredStatus": task.desiredStatus, "KnownStatus": task.lastStatus, "LaunchType": "FARGATE",
            ])
        }
        router.get("/v2/credentials/:id") { request, context -> Response in
            let answer: ContainerCredentials.Answer
            do {
                answer = try await self.options.credentials.answer(id: context.parameters.get("id") ?? "", authorization: request.headers[.authorization])
            } catch {
                self.logger.error("cannot mint container credentials", metadata: ["error": "\(error)"])
                return Self.credentialsError(500, "InternalError", "cannot mint credentials: \(error)")
            }
            switch answer {
            case .unknown: return Self.credentialsError(404, "NotFound", "no credentials at this path (the task may have stopped)")
            case .unauthorized: return Self.credentialsError(401, "Unauthorized", "the Authorization header does not match AWS_CONTAINER_AUTHORIZATION_TOKEN")
            case .credentials(let credentials):
                var body = [
                    "AccessKeyId": credentials.accessKeyId, "SecretAccessKey": credentials.secretAccessKey,
                    "Token": credentials.sessionToken ?? "",
                ]
                if let expiration = credentials.expiration { body["Expiration"] = RFC3339.format(expiration) }
                let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
        router.post("/_local/tasks/:id/interrupt") { _, context -> Response in
            guard await self.interrupt(context.parameters.get("id") ?? "") else { return Self.error(404, "NotFound", "no running task with that id") }
            return Self.json(["interrupted": true])
        }
        router.get("/_local/stats") { _, _ -> Response in
            var stats = await self.table.stats.merging(self.events.stats.withLockedValue { $0.dictionary }) { first, _ in first }
            stats["runtimeExits"] = self.events.pool.runtimeExits.withLockedValue { $0 }
            return Self.json(stats)
        }
        return router
    }

    func runTask(_ input: ECS.RunTaskInput) async throws -> Response {
        if let token = input.clientToken, let existing = await table.byToken(token) {
            return Self.json(encodable: ECS.TasksOutput(tasks: existing.map(\.ecsTask), failures: []))
        }
        let count = input.count ?? 1
        guard (1...10).contains(count) else { return Self.error(400, "InvalidParameterException", "count must be 1 to 10") }
        let definition: ECS.TaskDefinition
        switch await definitions.runnable(input.taskDefinition) {
        case .success(let found): definition = found
        case .failure(let problem): return Self.error(400, problem.code, problem.message)
        }
        let containers = definition.containerDefinitions.map(\.name)
        for override in input.overrides?.containerOverrides ?? [] where !containers.contains(override.name) {
            return Self.error(400, "InvalidParameterException", "Override for container named \(override.name) is not a container in the TaskDefinition.")
        }
        let essential = definition.containerDefinitions.first { $0.essential ?? true }?.name ?? options.containerName
        guard await table.takeLaunchTokens(count) else {
            return Self.error(400, "ThrottlingException", "Rate exceeded")
        }
        var tasks: [LocalTask] = []
        var failures: [ECS.Failure] = []
        for _ in 0..<count {
            guard await table.runningCount < options.maxRunning else {
                failures.append(ECS.Failure(arn: nil, reason: "RESOURCE:CPU", detail: "the local Fargate runs at most \(options.maxRunning) tasks"))
                continue
            }
            let provider = input.capacityProviderStrategy?.first?.capacityProvider ?? input.launchType ?? "FARGATE"
            if provider == "FARGATE_SPOT", Double.random(in: 0..<1) < options.spotUnavailableRate {
                failures.append(
                    ECS.Failure(arn: nil, reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone"))
                continue
            }
            let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let task = LocalTask(
                id: id, arn: "arn:aws:ecs:us-east-1:000000000000:task/wishes/\(id)", clusterArn: cluster,
                taskDefinitionArn: definition.taskDefinitionArn ?? input.taskDefinition,
                startedBy: input.startedBy, group: input.group, capacityProvider: provider,
                cpu: input.overrides?.cpu ?? definition.cpu ?? "256", memory: input.overrides?.memory ?? definition.memory ?? "512", overrides: input.overrides,
                tags: input.tags ?? [], containerName: essential)
            tasks.append(task)
        }
        // The same token from a racing caller gets these tasks, not new ones.
        if let token = input.clientToken, let winner = await table.record(token: token, tasks: tasks), winner.map(\.id) != tasks.map(\.id) {
            return Self.json(encodable: ECS.TasksOutput(tasks: winner.map(\.ecsTask), failures: []))
        }
        for task in tasks {
            await table.insert(task)
            start(task, definition: definition)
        }
        return Self.json(encodable: ECS.TasksOutput(tasks: tasks.map(\.ecsTask), failures: failures))
    }

    func start(_ task: LocalTask, definition: ECS.TaskDefinition) {
        events.publishTaskState(taskARN: task.arn, detail: task.eventDetail)
        let options = self.options
        work.add { [self] in
            let grant = await options.credentials.grant(session: "task-\(task.id)")
            // What ECS sets in every container of a task, beside the definition's own environment.
            let ecsEnvironment = [
                "ECS_CONTAINER_METADATA_URI_V4": "http://127.0.0.1:\(options.port)/v4/\(task.id)",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(self.credentialsBase)/\(grant.id)", "AWS_CONTAINER_AUTHORIZATION_TOKEN": grant.token,
            ]
            let layout: TaskLayout
            do {
                layout = try TaskLayout(
                    definition: definition, overrides: task.overrides?.containerOverrides ?? [], image: options.imagePaths,
                    root: "\(options.volumesDirectory)/\(task.id)", environment: ecsEnvironment)
            } catch {
                await self.failToStart(task, reason: "CannotStartContainerError: \(error)")
                await options.credentials.revoke(grant.id)
                return
            }
            do {
                try layout.makeVolumes()
            } catch {
                await self.failToStart(task, reason: "CannotCreateVolumeError: \(error)")
                await options.credentials.revoke(grant.id)
                return
            }
            defer { layout.removeVolumes() }
            // Without it a task here runs on whole cores, and a wish sized at a quarter of a vCPU would
            // finish four times sooner than in Fargate, its timeouts never met.
            let share = limitsCPU ? CPUShare.make(name: "task-\(task.id)", cpus: task.vcpus, logger: logger, holder: "Fargate's tasks") : .unlimited
            defer { share.remove() }
            if let pending = await table.update(task.id, { $0.lastStatus = "PENDING" }) {
                events.publishTaskState(taskARN: pending.arn, detail: pending.eventDetail)
            }
            // The containers the essential one depends on run first, to their end: the init container
            // installs CountToThree into the task's volume.
            for container in layout.dependencies {
                guard let program = await startContainer(container, of: task, name: "Fargate \(task.id.prefix(8)) \(container.name)", share: share) else {
                    await options.credentials.revoke(grant.id)
                    return
                }
                let code = await program.wait(stoppingOnCancelAfter: .seconds(2))
                await table.detach(task.id)
                let stopped = await table.task(task.id)?.desiredStatus == "STOPPED"
                if stopped || (container.mustSucceed && code != 0) {
                    let reason = "CannotStartContainerError: \(container.name) exited \(code), and \(layout.essential.name) starts only on its SUCCESS"
                    await self.failToStart(task, reason: stopped ? nil : reason)
                    await options.credentials.revoke(grant.id)
                    return
                }
            }
            guard let program = await startContainer(layout.essential, of: task, name: "Fargate \(task.id.prefix(8))", share: share) else {
                await options.credentials.revoke(grant.id)
                return
            }
            // ECS reports every state; the template's rule lets RUNNING and STOPPED through.
            if let running = await table.update(
                task.id,
                {
                    $0.lastStatus = "RUNNING"
                    $0.startedAt = Date()
                })
            {
                events.publishTaskState(taskARN: running.arn, detail: running.eventDetail)
            }
            if task.capacityProvider == "FARGATE_SPOT", Double.random(in: 0..<1) < options.spotInterruptionRate {
                let delay = Duration.milliseconds(Int64.random(in: 0...max(1, Int64(options.interruptWithin.components.seconds * 1000))))
                self.work.add {
                    do { try await Task.sleep(for: delay) } catch { return }
                    _ = await self.interrupt(task.id)
                }
            }
            let code = await program.wait(stoppingOnCancelAfter: .seconds(2))
            // ECS takes a task's credentials away once its containers have stopped.
            await options.credentials.revoke(grant.id)
            if let leaving = await table.update(
                task.id,
                {
                    $0.lastStatus = "DEPROVISIONING"
                    $0.exitCode = Int(code)
                })
            {
                events.publishTaskState(taskARN: leaving.arn, detail: leaving.eventDetail)
            }
            if let stopped = await table.update(
                task.id,
                {
                    $0.lastStatus = "STOPPED"
                    $0.desiredStatus = "STOPPED"
                    $0.exitCode = Int(code)
                    $0.stoppedAt = Date()
                    if $0.stopCode == nil {
                        $0.stopCode = "EssentialContainerExited"
                        $0.stoppedReason = "Essential container in task exited"
                    }
                })
            {
                events.publishTaskState(taskARN: stopped.arn, detail: stopped.eventDetail)
            }
            await table.detach(task.id)
        }
    }

    /// Starts one container's process as the task's own (StopTask and shutdown reach it), or stops
    /// the task saying why it could not.
    func startContainer(_ container: TaskLayout.Container, of task: LocalTask, name: String, share: CPUShare = .unlimited) async -> ChildProgram? {
        let (executable, arguments) = Self.containerized(container.executable, container.arguments)
        let program = ChildProgram(name: name, executable: executable, arguments: arguments, environment: container.environment)
        do {
            try program.start()
        } catch {
            await failToStart(task, reason: "CannotStartContainerError: container \(container.name): \(error)")
            return nil
        }
        // Adopted as it starts, before its first instruction is much more than the loader's: what it
        // forks from here on (a wish's command) shares the task's vCPUs, as in one Fargate task.
        share.adopt(program.pid)
        await table.attach(task.id, program)
        return program
    }

    /// A task whose essential container never started: STOPPED, with why (nil: StopTask came first).
    func failToStart(_ task: LocalTask, reason: String?) async {
        let stopped = await table.update(task.id) {
            $0.lastStatus = "STOPPED"
            $0.desiredStatus = "STOPPED"
            $0.stoppedAt = Date()
            if let reason {
                $0.stopCode = "TaskFailedToStart"
                $0.stoppedReason = reason
            } else if $0.stopCode == nil {
                $0.stopCode = "UserInitiated"
                $0.stoppedReason = "Task stopped before its essential container started"
            }
        }
        if let stopped { events.publishTaskState(taskARN: stopped.arn, detail: stopped.eventDetail) }
    }

    /// A Spot interruption: SIGTERM now, SIGKILL after the two minutes' notice (here: the stop timeout).
    func interrupt(_ id: String) async -> Bool {
        guard let program = await table.program(id) else { return false }
        _ = await table.update(id) {
            $0.desiredStatus = "STOPPED"
            $0.stopCode = "SpotInterruption"
            $0.stoppedReason = "Your Spot Task was interrupted."
        }
        logger.info("Spot interruption", metadata: ["task": "\(id)"])
        let grace = options.stopTimeout
        work.add { await program.stop(grace: grace) }
        return true
    }

    func describeTasks(_ body: Data) async throws -> Response {
        struct Input: Decodable { var tasks: [String] }
        let input = try JSONDecoder().decode(Input.self, from: body)
        guard input.tasks.count <= 100 else { return Self.error(400, "InvalidParameterException", "at most 100 tasks") }
        var found: [ECS.Task] = []
        var failures: [ECS.Failure] = []
        for name in input.tasks {
            if let task = await table.task(name) { found.append(task.ecsTask) } else { failures.append(ECS.Failure(arn: name, reason: "MISSING", detail: nil)) }
        }
        return Self.json(encodable: ECS.TasksOutput(tasks: found, failures: failures))
    }

    func stopTask(_ body: Data) async throws -> Response {
        struct Input: Decodable {
            var task: String
            var reason: String?
        }
        let input = try JSONDecoder().decode(Input.self, from: body)
        guard let task = await table.task(input.task) else { return Self.error(400, "InvalidParameterException", "The referenced task was not found.") }
        if task.lastStatus != "STOPPED", task.stopCode == nil {
            _ = await table.update(task.id) {
                $0.desiredStatus = "STOPPED"
                $0.stopCode = "UserInitiated"
                $0.stoppedReason = input.reason ?? "Task stopped by user"
            }
            if let program = await table.program(task.id) {
                let grace = options.stopTimeout
                work.add { await program.stop(grace: grace) }
            }
        }
        struct Output: Encodable { var task: ECS.Task }
        return Self.json(encodable: Output(task: (await table.task(task.id) ?? task).ecsTask))
    }

    /// Pages of at most `maxResults` (1 to 100, default 100), as ECS pages them; the token is the
    /// last ARN of the page before. Stopped tasks are listed for an hour after they stop, as ECS lists them.
    func listTasks(_ input: ECS.ListTasksInput) async throws -> Response {
        let limit = input.maxResults ?? 100
        guard (1...100).contains(limit) else { return Self.error(400, "InvalidParameterException", "maxResults must be 1 to 100") }
        let arns = await table.list(startedBy: input.startedBy, desiredStatus: input.desiredStatus ?? "RUNNING", stoppedWithin: options.stoppedRetention)
        let after = input.nextToken.flatMap { token in arns.firstIndex { $0 > token } } ?? (input.nextToken == nil ? 0 : arns.count)
        let page = Array(arns[after..<min(arns.count, after + limit)])
        let more = after + limit < arns.count
        return Self.json(encodable: ECS.ListTasksOutput(taskArns: page, nextToken: more ? page.last : nil))
    }

    static func json(_ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.1"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(encodable: some Encodable) -> Response {
        let data = (try? JSONEncoder().encode(encodable)) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.1"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Fargate runs a container with Docker's default capabilities: without CAP_SYS_PTRACE, root
    /// in the container cannot read another process's `/proc/<pid>/environ` once it is non-dumpable.
    /// A local cloud run as root would hand tasks every capability; `setpriv` takes them down to
    /// that set (`0xa80425fb`) where it is installed.
    static let fargateCapabilities =
        "-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap"

    static func containerized(_ executable: String, _ arguments: [String] = []) -> (String, [String]) {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return (executable, arguments) }
        return ("/usr/bin/setpriv", ["--bounding-set", fargateCapabilities, "--", executable] + arguments)
    }

    /// Where the container credentials are served (`AWS_CONTAINER_CREDENTIALS_FULL_URI` is this plus a path id).
    var credentialsBase: String { "http://127.0.0.1:\(options.port)/v2/credentials" }

    static func credentialsError(_ status: Int, _ code: String, _ message: String) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: ["Code": code, "Message": message], options: [.sortedKeys])) ?? Data()
        return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: Int, _ type: String, _ message: String) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: ["__type": type, "message": message])) ?? Data()
        return Response(status: .init(code: status), headers: [.contentType: "application/x-amz-json-1.1"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The stand-in's state: tasks, client tokens, the launch bucket, counters.
actor TaskTable {
    private var tasks: [String: LocalTask] = [:]
    private var programs: [String: ChildProgram] = [:]
    private var tokens: [String: [String]] = [:]
    private var bucket: LaunchBucket
    private var runTaskCalls = 0
    private var throttled = 0
    private var launched = 0

    private let stoppedRetention: TimeInterval

    init(burst: Double, rate: Double, stoppedRetention: TimeInterval) {
        bucket = LaunchBucket(capacity: burst, rate: rate)
        self.stoppedRetention = stoppedRetention
    }

    func takeLaunchTokens(_ count: Int) -> Bool {
        runTaskCalls += 1
        if bucket.take(Double(count)) { return true }
        throttled += 1
        return false
    }

    var runningCount: Int { programs.count }

    func byToken(_ token: String) -> [LocalTask]? {
        tokens[token].map { $0.compactMap { tasks[$0] } }
    }

    /// Records the token's tasks unless another call recorded first; returns the recorded ones.
    func record(token: String, tasks new: [LocalTask]) -> [LocalTask]? {
        if let existing = tokens[token] { return existing.compactMap { tasks[$0] } }
        tokens[token] = new.map(\.id)
        return new
    }

    func insert(_ task: LocalTask) {
        tasks[task.id] = task
        launched += 1
    }

    /// A task ECS still knows: a stopped one is forgotten after the retention, and then MISSING.
    func task(_ name: String) -> LocalTask? {
        guard let task = tasks[name] ?? tasks[String(name.split(separator: "/").last ?? "")] else { return nil }
        if task.lastStatus == "STOPPED", let stoppedAt = task.stoppedAt, Date().timeIntervalSince(stoppedAt) > stoppedRetention { return nil }
        return task
    }

    @discardableResult
    func update(_ id: String, _ change: (inout LocalTask) -> Void) -> LocalTask? {
        guard var task = tasks[id] else { return nil }
        change(&task)
        tasks[id] = task
        return task
    }

    func attach(_ id: String, _ program: ChildProgram) { programs[id] = program }
    func detach(_ id: String) { programs[id] = nil }
    func program(_ id: String) -> ChildProgram? { programs[id] }

    func list(startedBy: String?, desiredStatus: String, stoppedWithin: TimeInterval) -> [String] {
        let now = Date()
        return tasks.values.filter { task in
            task.desiredStatus == desiredStatus && (startedBy == nil || task.startedBy == startedBy)
                && (task.lastStatus != "STOPPED" || task.stoppedAt.map { now.timeIntervalSince($0) <= stoppedWithin } ?? true)
        }.map(\.arn).sorted()
    }

    var stats: [String: Int] {
        [
            "runTaskCalls": runTaskCalls, "throttled": throttled, "tasksLaunched": launched, "running": programs.count,
            "distinctStartedBy": Set(tasks.values.compactMap(\.startedBy)).count,
        ]
    }

    func stopAll() async {
        await withDiscardingTaskGroup { group in
            for program in programs.values { group.addTask { await program.stop(grace: .seconds(2)) } }
        }
    }
}
