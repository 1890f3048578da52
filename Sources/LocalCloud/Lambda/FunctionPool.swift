import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import WishesAWS

/// The local Lambda: several MakeAWish environments, one invocation each at a time, handed out in
/// the order callers came. Lambda has no priority between its event sources, so neither has this:
/// asap goes first by what the dispatcher does (`Dispatcher.admission`), which works the same in AWS.
final class FunctionPool: Service, Sendable {
    /// Who runs the function's processes.
    enum Supervision: Sendable {
        /// The pool starts each environment's process, and a new one after an exit, each with fresh
        /// temporary credentials of the function's role, as Lambda does.
        case environments(executable: String, credentials: any CredentialVendor)
        /// One bootstrap, started once the Runtime API listens and never again: the pool stops when
        /// it exits (`LocalCloud runtime-api -- COMMAND`).
        case once(executable: String, arguments: [String])
        /// Whoever started the local cloud runs the runtime against the Runtime API (tests do).
        case external
    }

    let instances: [FunctionInstance]
    let supervision: Supervision
    let environment: [String: String]
    /// Each instance's Runtime API also takes invocations (`POST /2015-03-31/functions/function/invocations`),
    /// as the runtime interface emulator serves both on one port.
    let servesInvoke: Bool
    /// Told once the function can take events: the Runtime API listens (and, run `once`, the bootstrap's pid).
    let onReady: @Sendable (_ instance: FunctionInstance, _ bootstrapPID: Int32?) -> Void
    let logger: Logger
    /// Free environments, handed to callers in the order they came.
    private let slots: WaitLine<FunctionInstance>
    /// Runtimes that exited: each is an error Lambda would report, so tests hold it at zero.
    let runtimeExits = NIOLockedValueBox(0)

    init(
        count: Int, supervision: Supervision, environment: [String: String], functionTimeout: Int, memoryMB: Int = 128, limitsCPU: Bool = true,
        killRate: Double = 0, servesInvoke: Bool = false,
        onReady: @escaping @Sendable (_ instance: FunctionInstance, _ bootstrapPID: Int32?) -> Void = { _, _ in }, logger: Logger
    ) throws {
        var instances: [FunctionInstance] = []
        for index in 1...max(1, count) {
            guard let port = Ports.free() else { throw LocalCloudError.noFreePort }
            let name = "MakeAWish-\(index)"
            // Only the local cloud's own environments are frozen; a bare Runtime API leaves its runtime
            // running, as the runtime interface emulator does.
            let freezer: Freezer
            if case .environments = supervision { freezer = Freezer.make(name: name, logger: logger) } else { freezer = Freezer(kind: .none) }
            let share =
                limitsCPU ? CPUShare.make(name: name, cpus: CPUShare.lambda(memoryMB: memoryMB), freezer: freezer, logger: logger) : .unlimited
            var reportsInit = false
            if case .once = supervision { reportsInit = true }
            instances.append(
                FunctionInstance(
                    name: name, port: port, functionTimeout: functionTimeout, memoryMB: memoryMB, freezer: freezer, cpuShare: share,
                    killRate: killRate, reportsInit: reportsInit))
        }
        self.instances = instances
        self.supervision = supervision
        self.environment = environment
        self.servesInvoke = servesInvoke
        self.onReady = onReady
        self.logger = logger
        self.slots = WaitLine(instances)
    }

    /// Invokes the function on a free environment, first come first served.
    func invoke(_ event: [UInt8]) async -> InvocationResult {
        guard let instance = await slots.acquire() else {
            return .error(type: "ServiceException", message: "the local Lambda is shutting down; the invocation was not run")
        }
        let (result, duration, initDuration) = await instance.invoke(event)
        let requestLine = "RequestId: \(await instance.lastRequestID ?? "-")"
        let memory = await instance.program?.peakMemoryMiB.map { "\($0) MB" } ?? "? MB"
        slots.release(instance)
        let millis = Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
        var report =
            "REPORT \(requestLine)\tDuration: \(String(format: "%.2f", millis)) ms\tBilled Duration: \(Int(millis.rounded(.up))) ms\tMemory Size: \(instance.memoryMB) MB\tMax Memory Used: \(memory)"
        if let initDuration {
            let initMillis = Double(initDuration.components.attoseconds) / 1e15 + Double(initDuration.components.seconds) * 1000
            report += "\tInit Duration: \(String(format: "%.2f", initMillis)) ms"
        }
        if case .response = result {} else { ConsoleOutput.write("\(instance.name) | \(requestLine) Error: \(result.summary)") }
        ConsoleOutput.write("\(instance.name) | END \(requestLine)")
        ConsoleOutput.write("\(instance.name) | \(report)")
        return result
    }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in instances {
                let (listening, listens) = AsyncStream.makeStream(of: Void.self)
                let router = instance.router { message in
                    ConsoleOutput.write("\(instance.name) | INIT_REPORT error: \(message)")
                }
                if servesInvoke {
                    router.post("/2015-03-31/functions/:name/invocations") { request, _ -> Response in
                        let event = try await request.body.collect(upTo: 6 << 20)
                        return InvokeEndpoint.response(await self.invoke(Array(buffer: event)))
                    }
                }
                let app = Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: instance.port), serverName: nil),
                    onServerRunning: { _ in listens.finish() }, logger: logger)
                group.addTask { try await app.run() }
                group.addTask {
                    // A runtime started before the API listens fails its first /next.
                    for await _ in listening {}
                    if Task.isCancelled { return }
                    switch self.supervision {
                    case .environments(let executable, let credentials):
                        self.onReady(instance, nil)
                        await self.supervise(instance, executable: executable, credentials: credentials)
                    case .once(let executable, let arguments):
                        await self.runOnce(instance, executable: executable, arguments: arguments)
                    case .external:
                        self.onReady(instance, nil)
                        // The API serves until the pool is cancelled.
                        try? await Task.sleep(for: .seconds(365 * 86_400))
                        await instance.shutDown(code: 0)
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The one bootstrap of a bare Runtime API: started once, its exit ends the pool.
    func runOnce(_ instance: FunctionInstance, executable: String, arguments: [String]) async {
        let environment = self.environment.merging(Self.lambdaEnvironment(instance: instance)) { _, lambda in lambda }
        // Foundation sets up its process machinery (a monitor thread, its run loop) at the first
        // spawn, several ms that Init Duration would count as the bootstrap's. The local cloud has
        // spawned moto and more by the time it starts a function; a bare Runtime API spawns here
        // first, so it does so once with a program that exits at once.
        let primer = ChildProgram(name: "primer", executable: "/bin/true", environment: [:])
        if (try? primer.start(onLine: { _ in })) != nil { _ = await primer.wait() }
        let program = ChildProgram(name: instance.name, executable: executable, arguments: arguments, environment: environment)
        let spawned = ContinuousClock.now
        do {
            try program.start()
        } catch {
            logger.error("cannot start the bootstrap", metadata: ["error": "\(error)", "path": "\(executable)"])
            return
        }
        await instance.started(program, at: spawned)
        onReady(instance, program.pid)
        let code = await program.wait(stoppingOnCancelAfter: .seconds(2))
        await instance.shutDown(code: code)
        instance.cpuShare.remove()
        ConsoleOutput.write("\(instance.name) | the bootstrap exited with code \(code)")
    }

    /// What Lambda sets in a `provided.al2023` environment, besides the role's keys.
    static func lambdaEnvironment(instance: FunctionInstance) -> [String: String] {
        [
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(instance.port)", "AWS_LAMBDA_FUNCTION_NAME": "make-a-wish",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(instance.memoryMB),
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/make-a-wish", "AWS_LAMBDA_LOG_STREAM_NAME": "local/[$LATEST]\(instance.name)",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023", "_HANDLER": "bootstrap",
            "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime", "TZ": ":UTC", "LANG": "en_US.UTF-8",
            "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
        ]
    }

    /// Keeps one MakeAWish process alive for `instance` until shutdown. Each new environment gets
    /// fresh temporary credentials of the function's role, as Lambda's do.
    func supervise(_ instance: FunctionInstance, executable: String, credentials: any CredentialVendor) async {
        let base = self.environment.merging(Self.lambdaEnvironment(instance: instance)) { _, lambda in lambda }
        while !Task.isCancelled {
            var environment = base
            do {
                let keys = try await credentials.credentials(session: "make-a-wish-\(instance.name)", durationSeconds: 43_200)
                environment["AWS_ACCESS_KEY_ID"] = keys.accessKeyId
                environment["AWS_SECRET_ACCESS_KEY"] = keys.secretAccessKey
                environment["AWS_SESSION_TOKEN"] = keys.sessionToken
            } catch {
                logger.error("cannot mint the function's credentials", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
                continue
            }
            let program = ChildProgram(name: instance.name, executable: executable, environment: environment)
            let spawned = ContinuousClock.now
            do {
                try program.start()
            } catch {
                logger.error("cannot start MakeAWish", metadata: ["error": "\(error)", "path": "\(executable)"])
                try? await Task.sleep(for: .seconds(2))
                continue
            }
            await instance.started(program, at: spawned)
            let code = await withTaskCancellationHandler {
                await program.wait()
            } onCancel: {
                // A frozen process acts on SIGTERM only once thawed.
                instance.freezer.thaw(program.pid)
                program.signal(SIGTERM)
            }
            if Task.isCancelled {
                await instance.shutDown(code: code)
                break
            }
            await instance.processExited(code: code)
            runtimeExits.withLockedValue { $0 += 1 }
            // Lambda logs this as an error of the function; it is never a normal event.
            ConsoleOutput.write("\(instance.name) | ERROR Runtime exited with code \(code) (Runtime.ExitError); starting a new environment")
            try? await Task.sleep(for: .milliseconds(500))
        }
        if let program = await instance.program {
            instance.freezer.thaw(program.pid)
            await program.stop(grace: .seconds(2))
        }
        instance.freezer.remove()
        instance.cpuShare.remove()
    }
}

enum LocalCloudError: Error, CustomStringConvertible {
    case noFreePort
    case missingBinary(String)
    case motoDidNotStart(String)
    case invalidEventPattern(String)
    case missingCredentials

    var description: String {
        switch self {
        case .noFreePort: "no free loopback port"
        case .missingBinary(let path): "\(path) is missing: build first (swift build)"
        case .motoDidNotStart(let why): "moto server did not start: \(why)"
        case .invalidEventPattern(let pattern): "the event pattern is not a JSON object: \(pattern)"
        case .missingCredentials: "AWS_ENDPOINT_URL is set but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not: give the credentials for that endpoint"
        }
    }
}
