import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

@testable import Wishes
@testable import WishesAWS

/// The custom runtime against the local cloud's own Runtime API (`LocalCloud runtime-api`): events in
/// through the emulator's invoke route, responses, function errors and init errors out, as Lambda's
/// documentation specifies them.
struct LambdaRuntimeTests {
    struct Refused: Error {}

    /// Runs `runtime` beside `body` and cancels it once `body` is done, as the service group would.
    func serving<T: Sendable>(_ runtime: LambdaRuntime, _ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await runtime.run()
                return nil
            }
            let result = try await body()
            group.cancelAll()
            while let next = try await group.next() { _ = next }
            return result
        }
    }

    @Test func nextGivesTheEventWithItsContextAndTheResponseIsAccepted() async throws {
        let api = try await RuntimeAPIProcess.start()
        let before = Date()
        async let answer = api.invoke(#"{"hello":"world"}"#)
        let invocation = try await api.client().next(logger: Logger(label: "test"))
        #expect(!invocation.requestID.isEmpty)
        #expect(String(decoding: invocation.event, as: UTF8.self) == #"{"hello":"world"}"#)
        #expect(invocation.deadline > before.addingTimeInterval(50) && invocation.deadline < Date().addingTimeInterval(61), "the function's 60 s timeout")
        #expect(invocation.invokedFunctionARN == "arn:aws:lambda:us-east-1:000000000000:function:make-a-wish")
        #expect(invocation.traceID?.hasPrefix("Root=1-") == true)
        #expect(invocation.logger[metadataKey: "requestId"] == "\(invocation.requestID)")
        try await api.client().respond(invocation.requestID, body: Array(#"{"ok":true}"#.utf8))
        let invoked = try await answer
        #expect(invoked.status == 200)
        #expect(invoked.header("X-Amz-Function-Error") == nil)
        #expect(invoked.body == #"{"ok":true}"#)
    }

    @Test func aThrowingHandlerIsReportedByTypeAndTheLoopGoesOn() async throws {
        let api = try await RuntimeAPIProcess.start()
        let traces = TraceLog()
        let runtime = LambdaRuntime(client: try api.client(), logger: Logger(label: "test")) {
            { invocation in
                traces.append(ProcessInfo.processInfo.environment["_X_AMZN_TRACE_ID"], expected: invocation.traceID)
                if String(decoding: invocation.event, as: UTF8.self).contains("bad") { throw DispatchError.badEvent("no Records and no detail-type") }
                return Array("{}".utf8)
            }
        }
        let (bad, good) = try await serving(runtime) { (try await api.invoke(#"{"bad":1}"#), try await api.invoke(#"{"good":1}"#)) }
        #expect(bad.header("X-Amz-Function-Error") == "Unhandled")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(bad.body.utf8)) as? [String: Any])
        #expect(body["errorType"] as? String == "DispatchError")
        #expect((body["errorMessage"] as? String)?.contains("no Records and no detail-type") == true)
        #expect(good.header("X-Amz-Function-Error") == nil)
        #expect(good.body == "{}")
        #expect(traces.values.count == 2)
        #expect(traces.values.allSatisfy { $0.seen != nil && $0.seen == $0.expected }, "each invocation sees its own trace id: \(traces.values)")
        #expect(Set(traces.values.map(\.seen)).count == 2)
    }

    @Test func aFailedStartIsPostedAsAnInitError() async throws {
        let api = try await RuntimeAPIProcess.start()
        let runtime = LambdaRuntime(client: try api.client(), logger: Logger(label: "test")) { throw SettingsError.missing(["WISHES_BUCKET"]) }
        async let answer = api.invoke("{}")
        for _ in 0..<400 where !api.output.contains("START RequestId") { try await Task.sleep(for: .milliseconds(50)) }
        await #expect(throws: SettingsError.self) { try await runtime.run() }
        let invoked = try await answer
        #expect(invoked.header("X-Amz-Function-Error") == "Unhandled")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(invoked.body.utf8)) as? [String: Any])
        #expect(body["errorType"] as? String == "SettingsError")
        #expect((body["errorMessage"] as? String)?.contains("WISHES_BUCKET") == true)
    }

    @Test func aShutdownWhileWaitingAtNextEndsTheRuntimeWithoutAnError() async throws {
        let api = try await RuntimeAPIProcess.start()
        let runtime = LambdaRuntime(client: try api.client(), logger: Logger(label: "test")) { { _ in [] } }
        try await serving(runtime) { try await Task.sleep(for: .milliseconds(300)) }
    }

    @Test func theBootstrapWithoutItsSettingsPostsAnInitErrorNamingThem() async throws {
        let api = try await RuntimeAPIProcess.start()
        let process = Process()
        process.executableURL = BuiltProducts.url("MakeAWish")
        process.environment = ["AWS_LAMBDA_RUNTIME_API": api.address, "PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        async let answer = api.invoke("{}")
        // Lambda inits for an invocation: the init error must find it queued, however slow the machine.
        for _ in 0..<400 where !api.output.contains("START RequestId") { try await Task.sleep(for: .milliseconds(50)) }
        try process.run()
        try await offPool { process.waitUntilExit() }
        #expect(process.terminationStatus == 1)
        let invoked = try await answer
        let body = try #require(try JSONSerialization.jsonObject(with: Data(invoked.body.utf8)) as? [String: Any])
        #expect(body["errorType"] as? String == "SettingsError")
        for name in ["WISHES_BUCKET", "WISHES_QUEUE_URL", "WISHES_TASK_DEFINITION"] {
            #expect((body["errorMessage"] as? String)?.contains(name) == true, "the error names \(name): \(invoked.body)")
        }
    }

    /// The environment a bootstrap needs to get as far as `/next`; no AWS call is made before an event.
    static func bootstrapEnvironment(_ address: String) -> [String: String] {
        [
            "AWS_LAMBDA_RUNTIME_API": address, "PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "ASIAIDLE", "AWS_SECRET_ACCESS_KEY": "idle", "AWS_SESSION_TOKEN": "idle",
            "WISHES_BUCKET": "idle", "WISHES_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/wishes",
            "WISHES_TASK_DEFINITION": "count-to-three",
        ]
    }

    /// Lambda sends SIGTERM to a runtime it shuts down, which then waits at `/next` (no read timeout):
    /// the bootstrap must leave it and exit 0, not be killed or report a failure.
    @Test func theBootstrapStopsCleanlyOnSIGTERMWhileWaitingAtNext() async throws {
        let api = try await RuntimeAPIProcess.start()
        let process = Process()
        process.executableURL = BuiltProducts.url("MakeAWish")
        process.environment = Self.bootstrapEnvironment(api.address)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // Long enough for the bootstrap to be set up and at /next, with its signal handling in place.
        try await Task.sleep(for: .seconds(2))
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        try await offPool { process.waitUntilExit() }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    /// Lambda holds `/next` for as long as no event comes. A read timeout on `/next` (AsyncHTTPClient
    /// applies the client's, whatever the request's deadline) killed the bootstrap after a minute idle
    /// with `HTTPClientError.readTimeout`, and Lambda reported `Runtime.ExitError`. The process is
    /// left running here (the bare Runtime API freezes nothing): SIGSTOP/SIGCONT cycles restart the
    /// timer and hid the bug (seen with the old client, which this test fails).
    @Test func theBootstrapWaitsAtNextPastAMinute() async throws {
        let api = try await RuntimeAPIProcess.start(functionTimeout: 120)
        let process = Process()
        process.executableURL = BuiltProducts.url("MakeAWish")
        process.environment = Self.bootstrapEnvironment(api.address)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await Task.sleep(for: .seconds(64))
        #expect(process.isRunning, "the bootstrap exited while waiting at /next")
        let invoked = try await api.invoke(#"{"neither":"records nor detail-type"}"#)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(invoked.body.utf8)) as? [String: Any])
        #expect(body["errorType"] as? String == "DispatchError", "the event after 65 s idle is answered: \(invoked.body)")
        #expect(process.isRunning)
    }

    @Test func aNextWithoutTheRequestIDIsATypedError() {
        var headers = HTTPHeaders()
        headers.add(name: "Lambda-Runtime-Deadline-Ms", value: "1900000000123")
        #expect(throws: LambdaRuntimeError.missingHeader("Lambda-Runtime-Aws-Request-Id")) {
            _ = try LambdaRuntimeClient.invocation(status: 200, headers: headers, body: [], logger: Logger(label: "test"))
        }
    }

    @Test func aNextAnsweredWithAnotherStatusIsATypedError() {
        #expect(throws: LambdaRuntimeError.unexpectedStatus(operation: "next", status: 410, body: "gone")) {
            _ = try LambdaRuntimeClient.invocation(status: 410, headers: [:], body: Array("gone".utf8), logger: Logger(label: "test"))
        }
    }

    @Test(arguments: [nil, "", "http://127.0.0.1:9001/", "no port here"])
    func aBadRuntimeAPIAddressIsRefusedByName(_ value: String?) {
        #expect(throws: LambdaRuntimeError.missingRuntimeAPI(value)) {
            _ = try LambdaRuntimeClient(runtimeAPI: value, httpClient: TestAWS.httpClient)
        }
    }
}

/// The trace ids a handler saw, in order, with the one its invocation carried.
final class TraceLog: Sendable {
    struct Seen: Sendable, Hashable {
        var seen: String?
        var expected: String?
    }
    private let box = NIOLockedValueBox<[Seen]>([])
    func append(_ value: String?, expected: String?) { box.withLockedValue { $0.append(Seen(seen: value, expected: expected)) } }
    var values: [Seen] { box.withLockedValue { $0 } }
}
