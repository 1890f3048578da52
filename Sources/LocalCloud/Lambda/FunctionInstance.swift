import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WishesAWS

#if canImport(Glibc)
    import Glibc
#endif

/// One execution environment: a MakeAWish process and the Runtime API it polls, one
/// invocation at a time. Between invocations the process is frozen while its `/next` waits, and
/// thawed when an event comes, as Lambda freezes idle sandboxes (`Freezer`): whatever runs on a
/// timer in the runtime meets a clock that jumped. A process that exits fails its
/// invocation with `Runtime.ExitError`, and a new environment is started, as Lambda does.
actor FunctionInstance {
    let name: String
    let port: Int
    let functionTimeout: Int
    private var waitingForNext: CheckedContinuation<Invocation?, Never>?
    private var queued: Invocation?
    private var inFlight: [String: CheckedContinuation<InvocationResult, Never>] = [:]
    /// The invocations the current process took from `/next`: only these die with it. One still
    /// queued waits for the next process, as Lambda gives an event that comes after a timeout or a
    /// crash to a fresh environment rather than failing it with the old one.
    private var delivered: Set<String> = []
    private var spawnedAt = ContinuousClock.now
    private var initDuration: Duration?
    private var sawFirstNext = false
    private var frozen = false
    private(set) var program: ChildProgram?
    private(set) var lastRequestID: String?

    nonisolated let freezer: Freezer
    /// The CPU Lambda gives `memoryMB`, for each process of this environment.
    nonisolated let cpuShare: CPUShare
    nonisolated let memoryMB: Int

    /// Chance that the environment is killed in the middle of an invocation (`--kill-runtime-rate`).
    let killRate: Double
    /// Where the function ARN and `Lambda-Runtime-Invoked-Function-Arn` name the function.
    let functionARN: String

    /// Logs `INIT_REPORT` with the init duration at the first `/next`: a bare Runtime API has no
    /// invocation's REPORT to carry it before a caller asks for one (the benchmarks time it).
    let reportsInit: Bool

    init(
        name: String, port: Int, functionTimeout: Int, memoryMB: Int = 128, freezer: Freezer, cpuShare: CPUShare = .unlimited, killRate: Double = 0,
        reportsInit: Bool = false,
        functionARN: String = "arn:aws:lambda:us-east-1:000000000000:function:make-a-wish"
    ) {
        self.killRate = killRate
        self.reportsInit = reportsInit
        self.functionARN = functionARN
        self.name = name
        self.freezer = freezer
        self.cpuShare = cpuShare
        self.memoryMB = memoryMB
        self.port = port
        self.functionTimeout = functionTimeout
    }

    /// Runs the event through the function and waits for its answer or its deadline.
    func invoke(_ event: [UInt8]) async -> (InvocationResult, Duration, Duration?) {
        let invocation = Invocation(
            requestID: UUID().uuidString.lowercased(), deadline: Date().addingTimeInterval(TimeInterval(functionTimeout)),
            event: event, functionARN: functionARN)
        lastRequestID = invocation.requestID
        ConsoleOutput.write("\(name) | START RequestId: \(invocation.requestID) Version: $LATEST")
        let began = ContinuousClock.now
        let timeout = functionTimeout
        let injectKill = killRate > 0 && Double.random(in: 0..<1) < killRate
        // The deadline and an injected kill are children of this invocation: both end with it.
        let result = await withTaskGroup(of: Void.self) { watchers in
            watchers.addTask {
                do { try await Task.sleep(for: .seconds(timeout)) } catch { return }
                await self.timedOut(invocation.requestID)
            }
            if injectKill {
                watchers.addTask {
                    do { try await Task.sleep(for: .milliseconds(Int.random(in: 0...400))) } catch { return }
                    await self.kill(invocation.requestID)
                }
            }
            let result = await withCheckedContinuation { continuation in
                inFlight[invocation.requestID] = continuation
                if let waiting = waitingForNext {
                    waitingForNext = nil
                    delivered.insert(invocation.requestID)
                    thaw()
                    waiting.resume(returning: invocation)
                } else {
                    queued = invocation
                }
            }
            watchers.cancelAll()
            return result
        }
        let duration = ContinuousClock.now - began
        let initReported = initDuration
        initDuration = nil
        return (result, duration, initReported)
    }

    /// A runtime killed mid-batch, as a crash or an out-of-memory kill would end it.
    private func kill(_ requestID: String) {
        guard inFlight[requestID] != nil else { return }
        ConsoleOutput.write("\(name) | killing the runtime in the middle of \(requestID) (fault injected)")
        program?.signal(SIGKILL)
    }

    private func timedOut(_ requestID: String) {
        guard inFlight[requestID] != nil else { return }
        complete(requestID, .timedOut(seconds: functionTimeout))
        // Lambda discards an environment whose invocation timed out.
        program?.signal(SIGKILL)
    }

    /// The next event, or nil when the environment goes away (the poller's request then ends).
    func next() async -> Invocation? {
        if !sawFirstNext {
            sawFirstNext = true
            let duration = ContinuousClock.now - spawnedAt
            initDuration = duration
            if reportsInit, program != nil {
                let millis = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
                ConsoleOutput.write("\(name) | INIT_REPORT Init Duration: \(String(format: "%.2f", millis)) ms\tPhase: init\tStatus: success")
            }
        }
        if let queued {
            self.queued = nil
            delivered.insert(queued.requestID)
            return queued
        }
        return await withCheckedContinuation { continuation in
            waitingForNext = continuation
            freeze()
        }
    }

    private func freeze() {
        guard !frozen, let program, program.isRunning else { return }
        frozen = true
        freezer.freeze(program.pid)
    }

    private func thaw() {
        guard frozen, let program else { return }
        frozen = false
        freezer.thaw(program.pid)
    }

    @discardableResult
    func complete(_ requestID: String, _ result: InvocationResult) -> Bool {
        delivered.remove(requestID)
        if queued?.requestID == requestID { queued = nil }
        guard let continuation = inFlight.removeValue(forKey: requestID) else { return false }
        continuation.resume(returning: result)
        return true
    }

    /// The process died: whatever it was doing fails, as Lambda fails it.
    func processExited(code: Int32) {
        frozen = false
        for id in Array(delivered) { complete(id, .runtimeExited(requestID: id, code: code)) }
        delivered = []
        waitingForNext?.resume(returning: nil)
        waitingForNext = nil
    }

    /// The runtime reported that its init failed: the invocation that waited for the environment fails
    /// with that error, as Lambda answers the invoke that started the init.
    func initFailed(type: String, message: String) {
        if let queued { complete(queued.requestID, .error(type: type, message: message)) }
        for id in Array(delivered) { complete(id, .error(type: type, message: message)) }
        delivered = []
        waitingForNext?.resume(returning: nil)
        waitingForNext = nil
    }

    /// The environment goes away for good (the local cloud stops): what still waits for it fails, as
    /// no environment will take it any more.
    func shutDown(code: Int32) {
        processExited(code: code)
        if let queued { complete(queued.requestID, .runtimeExited(requestID: queued.requestID, code: code)) }
    }

    /// A new process of this environment, spawned at `spawned` (the init duration counts from there).
    func started(_ program: ChildProgram, at spawned: ContinuousClock.Instant) {
        self.program = program
        freezer.adopt(program.pid)
        cpuShare.adopt(program.pid)
        frozen = false
        spawnedAt = spawned
        initDuration = nil
        sawFirstNext = false
    }

    /// The Runtime API routes of AWS's runtime interface emulator, for this instance.
    nonisolated func router(initError: @escaping @Sendable (String) -> Void) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/2018-06-01/runtime/invocation/next") { _, _ -> Response in
            guard let invocation = await self.next() else {
                return Self.problem(.gone, "EnvironmentShutdown", "this execution environment is shutting down")
            }
            var headers = HTTPFields()
            headers[HTTPField.Name("Lambda-Runtime-Aws-Request-Id")!] = invocation.requestID
            headers[HTTPField.Name("Lambda-Runtime-Deadline-Ms")!] = String(Int64(invocation.deadline.timeIntervalSince1970 * 1000))
            headers[HTTPField.Name("Lambda-Runtime-Invoked-Function-Arn")!] = invocation.functionARN
            headers[HTTPField.Name("Lambda-Runtime-Trace-Id")!] =
                "Root=1-\(String(Int(Date().timeIntervalSince1970), radix: 16))-\(invocation.requestID.replacingOccurrences(of: "-", with: "").prefix(24));Sampled=0"
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: invocation.event)))
        }
        router.post("/2018-06-01/runtime/invocation/:id/response") { request, context -> Response in
            let id = context.parameters.get("id") ?? ""
            let body = try await request.body.collect(upTo: 6 << 20)
            guard await self.complete(id, .response(Array(buffer: body))) else {
                return Self.problem(.badRequest, "InvalidRequestID", "no invocation \(id) is waiting for an answer")
            }
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"OK\"}")))
        }
        router.post("/2018-06-01/runtime/invocation/:id/error") { request, context -> Response in
            let id = context.parameters.get("id") ?? ""
            let body = try await request.body.collect(upTo: 1 << 20)
            let (type, message) = Self.errorFields(Array(buffer: body), header: request.headers[HTTPField.Name("Lambda-Runtime-Function-Error-Type")!])
            guard await self.complete(id, .error(type: type, message: message)) else {
                return Self.problem(.badRequest, "InvalidRequestID", "no invocation \(id) is waiting for an answer")
            }
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"OK\"}")))
        }
        router.post("/2018-06-01/runtime/init/error") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let (type, message) = Self.errorFields(Array(buffer: body), header: request.headers[HTTPField.Name("Lambda-Runtime-Function-Error-Type")!])
            initError("\(type): \(message)")
            await self.initFailed(type: type, message: message)
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"OK\"}")))
        }
        return router
    }

    static func errorFields(_ body: [UInt8], header: String?) -> (String, String) {
        struct ErrorBody: Decodable {
            var errorType: String?
            var errorMessage: String?
        }
        let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(body))
        return (decoded?.errorType ?? header ?? "Unhandled", decoded?.errorMessage ?? String(decoding: body.prefix(500), as: UTF8.self))
    }

    static func problem(_ status: HTTPResponse.Status, _ type: String, _ message: String) -> Response {
        let body = "{\"errorType\":\"\(type)\",\"errorMessage\":\"\(message)\"}"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
