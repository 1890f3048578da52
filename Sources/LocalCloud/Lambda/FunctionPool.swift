import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The local Lambda: several MakeAWish environments, one invocation each at a time, handed out in
/// the order callers came. Lambda has no priority between its event sources, so neither has this:
/// asap goes first by what the dispatcher does (`Dispatcher.admission`), which works the same in AWS.
final class FunctionPool: Service, Sendable {
    let instances: [FunctionInstance]
    let executable: String
    let environment: [String: String]
    let credentials: any CredentialVendor
    let logger: Logger
    private let slots: Slots
    /// Runtimes that exited: each is an error Lambda would report, so tests hold it at zero.
    let runtimeExits = NIOLockedValueBox(0)

    init(count: Int, executable: String, environment: [String: String], credentials: any CredentialVendor, functionTimeout: Int,
         killRate: Double = 0, logger: Logger) throws {
        var instances: [FunctionInstance] = []
        for index in 1...max(1, count) {
            guard let port = Ports.free() else { throw LocalCloudError.noFreePort }
            let name = "MakeAWish-\(index)"
            instances.append(FunctionInstance(name: name, port: port, functionTimeout: functionTimeout, freezer: Freezer.make(name: name, logger: logger),
                                              killRate: killRate))
        }
        self.instances = instances
        self.executable = executable
        self.environment = environment
        self.credentials = credentials
        self.logger = logger
        self.slots = Slots(instances)
    }

    /// Invokes the function on a free environment, first come first served.
    func invoke(_ event: [UInt8]) async -> InvocationResult {
        let instance = await slots.acquire()
        defer { Task { await slots.release(instance) } }
        let (result, duration, initDuration) = await instance.invoke(event)
        let requestLine = "RequestId: \(await instance.lastRequestID ?? "-")"
        let memory = await instance.program?.peakMemoryMiB.map { "\($0) MB" } ?? "? MB"
        let millis = Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
        var report = "REPORT \(requestLine)\tDuration: \(String(format: "%.2f", millis)) ms\tBilled Duration: \(Int(millis.rounded(.up))) ms\tMemory Size: 128 MB\tMax Memory Used: \(memory)"
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
                let app = Application(router: instance.router { message in
                    ConsoleOutput.write("\(instance.name) | INIT_REPORT error: \(message)")
                }, configuration: .init(address: .hostname("127.0.0.1", port: instance.port), serverName: nil), logger: logger)
                group.addTask { try await app.run() }
                group.addTask { await self.supervise(instance) }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// What Lambda sets in a `provided.al2023` environment of a 128 MB function, besides the role's keys.
    static func lambdaEnvironment(instance: FunctionInstance) -> [String: String] {
        [
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(instance.port)", "AWS_LAMBDA_FUNCTION_NAME": "make-a-wish",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/make-a-wish", "AWS_LAMBDA_LOG_STREAM_NAME": "local/[$LATEST]\(instance.name)",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023", "_HANDLER": "bootstrap",
            "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime", "TZ": ":UTC", "LANG": "en_US.UTF-8",
            "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
        ]
    }

    /// Keeps one MakeAWish process alive for `instance` until shutdown. Each new environment gets
    /// fresh temporary credentials of the function's role, as Lambda's do.
    func supervise(_ instance: FunctionInstance) async {
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
            do {
                try program.start()
            } catch {
                logger.error("cannot start MakeAWish", metadata: ["error": "\(error)", "path": "\(executable)"])
                try? await Task.sleep(for: .seconds(2))
                continue
            }
            await instance.started(program)
            let code = await withTaskCancellationHandler {
                await program.wait()
            } onCancel: {
                // A frozen process acts on SIGTERM only once thawed.
                instance.freezer.thaw(program.pid)
                program.signal(SIGTERM)
            }
            await instance.processExited(code: code)
            if Task.isCancelled { break }
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
    }
}

/// Free environments, handed to waiting callers in the order they came.
actor Slots {
    private var free: [FunctionInstance]
    private var waiting: [CheckedContinuation<FunctionInstance, Never>] = []

    init(_ instances: [FunctionInstance]) { free = instances }

    func acquire() async -> FunctionInstance {
        if let instance = free.popLast() { return instance }
        return await withCheckedContinuation { waiting.append($0) }
    }

    func release(_ instance: FunctionInstance) {
        guard !waiting.isEmpty else {
            free.append(instance)
            return
        }
        waiting.removeFirst().resume(returning: instance)
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
