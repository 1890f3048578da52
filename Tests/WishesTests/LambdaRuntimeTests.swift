import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import Wishes

/// The custom runtime against a Runtime API server (`Scripts/runtime_api_server.py`): events in,
/// responses, function errors and init errors out, as Lambda's documentation specifies them.
struct LambdaRuntimeTests {
    struct Event: Encodable {
        var requestId: String
        var body: String
        var deadlineMs: Int64?
        var trace: String?
        var omit: [String]?
    }

    struct Posted: Decodable {
        var kind: String
        var requestId: String?
        var errorType: String?
        var body: String
    }

    final class RuntimeAPI: Sendable {
        let peer: PeerProcess
        init() async throws { peer = try await PeerProcess.start(script: "runtime_api_server.py") }

        var address: String { "127.0.0.1:\(peer.port)" }
        func client() throws -> LambdaRuntimeClient { try LambdaRuntimeClient(runtimeAPI: address, httpClient: TestAWS.httpClient) }

        func push(_ events: [Event]) async throws {
            let body = String(decoding: try JSONEncoder().encode(events), as: UTF8.self)
            _ = try await HTTP.call("POST", "http://\(address)/_test/events", body: body)
        }

        func close() async throws { _ = try await HTTP.call("POST", "http://\(address)/_test/close") }

        func results() async throws -> [Posted] {
            try JSONDecoder().decode([Posted].self, from: Data(try await HTTP.call("GET", "http://\(address)/_test/results").body.utf8))
        }
    }

    struct Refused: Error {}

    @Test func nextGivesTheEventWithItsContextAndTheResponseIsAccepted() async throws {
        let api = try await RuntimeAPI()
        try await api.push([Event(requestId: "req-1", body: #"{"hello":"world"}"#, deadlineMs: 1_900_000_000_123, trace: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")])
        let invocation = try await api.client().next(logger: Logger(label: "test"))
        #expect(invocation.requestID == "req-1")
        #expect(String(decoding: invocation.event, as: UTF8.self) == #"{"hello":"world"}"#)
        #expect(invocation.deadline == Date(timeIntervalSince1970: 1_900_000_000.123))
        #expect(invocation.invokedFunctionARN == "arn:aws:lambda:us-east-1:123456789012:function:make-a-wish")
        #expect(invocation.traceID?.hasPrefix("Root=1-5759e988") == true)
        #expect(invocation.logger[metadataKey: "requestId"] == "req-1")
        try await api.client().respond("req-1", body: Array(#"{"ok":true}"#.utf8))
        let posted = try await api.results()
        #expect(posted.count == 1)
        #expect(posted.first?.kind == "response")
        #expect(posted.first?.requestId == "req-1")
        #expect(posted.first?.body == #"{"ok":true}"#)
    }

    @Test func aThrowingHandlerIsReportedByTypeAndTheLoopGoesOn() async throws {
        let api = try await RuntimeAPI()
        try await api.push([
            Event(requestId: "bad", body: "{}", trace: "Root=1-aaaa"),
            Event(requestId: "good", body: "{}"),
        ])
        try await api.close()
        let runtime = LambdaRuntime(client: try api.client(), logger: Logger(label: "test"))
        let traces = TraceLog()
        await #expect(throws: LambdaRuntimeError.self) {
            try await runtime.serve { invocation in
                traces.append(ProcessInfo.processInfo.environment["_X_AMZN_TRACE_ID"])
                if invocation.requestID == "bad" { throw DispatchError.badEvent("no Records and no detail-type") }
                return Array("{}".utf8)
            }
        }
        let posted = try await api.results()
        #expect(posted.map(\.kind) == ["error", "response"])
        let error = try #require(posted.first)
        #expect(error.requestId == "bad")
        #expect(error.errorType == "DispatchError")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(error.body.utf8)) as? [String: Any])
        #expect(body["errorType"] as? String == "DispatchError")
        #expect((body["errorMessage"] as? String)?.contains("no Records and no detail-type") == true)
        #expect(traces.values == ["Root=1-aaaa", nil], "the trace id is set for its invocation only")
    }

    @Test func aFailedStartIsPostedAsAnInitError() async throws {
        let api = try await RuntimeAPI()
        let runtime = LambdaRuntime(client: try api.client(), logger: Logger(label: "test"))
        await #expect(throws: SettingsError.self) {
            try await runtime.run { throw SettingsError.missing(["WISHES_BUCKET"]) }
        }
        let posted = try await api.results()
        #expect(posted.count == 1)
        #expect(posted.first?.kind == "init/error")
        #expect(posted.first?.errorType == "SettingsError")
        #expect(posted.first?.body.contains("WISHES_BUCKET") == true)
    }

    @Test func theBootstrapWithoutItsSettingsPostsAnInitErrorNamingThem() async throws {
        let api = try await RuntimeAPI()
        let binary = Python.repository.appendingPathComponent(".build/debug/MakeAWish")
        let process = Process()
        process.executableURL = binary
        process.environment = ["AWS_LAMBDA_RUNTIME_API": api.address, "PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await offPool { process.waitUntilExit() }
        #expect(process.terminationStatus == 1)
        let posted = try await api.results()
        let initError = try #require(posted.first)
        #expect(initError.kind == "init/error")
        #expect(initError.errorType == "SettingsError")
        for name in ["WISHES_BUCKET", "WISHES_QUEUE_URL", "WISHES_TASK_DEFINITION"] {
            #expect(initError.body.contains(name), "the error names \(name): \(initError.body)")
        }
    }

    /// Lambda holds `/next` for as long as no event comes. A read timeout on `/next` (AsyncHTTPClient
    /// applies the client's, whatever the request's deadline) killed the bootstrap after a minute idle
    /// with `HTTPClientError.readTimeout`, and Lambda reported `Runtime.ExitError`. The process is
    /// left running here: SIGSTOP/SIGCONT cycles restart the timer and hid the bug (seen with the old
    /// client, which this test fails).
    @Test func theBootstrapWaitsAtNextPastAMinute() async throws {
        let api = try await RuntimeAPI()
        let process = Process()
        process.executableURL = Python.repository.appendingPathComponent(".build/debug/MakeAWish")
        process.environment = [
            "AWS_LAMBDA_RUNTIME_API": api.address, "PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "ASIAIDLE", "AWS_SECRET_ACCESS_KEY": "idle", "AWS_SESSION_TOKEN": "idle",
            "WISHES_BUCKET": "idle", "WISHES_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/wishes",
            "WISHES_TASK_DEFINITION": "count-to-three",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await Task.sleep(for: .seconds(64))
        #expect(process.isRunning, "the bootstrap exited while waiting at /next")
        try await api.push([Event(requestId: "after-idle", body: #"{"neither":"records nor detail-type"}"#)])
        var posted: [Posted] = []
        for _ in 0..<100 where posted.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            posted = try await api.results()
        }
        #expect(posted.map(\.requestId) == ["after-idle"], "the event after 65 s idle is answered")
        #expect(process.isRunning)
    }

    @Test func aNextWithoutTheRequestIDIsATypedError() async throws {
        let api = try await RuntimeAPI()
        try await api.push([Event(requestId: "x", body: "{}", omit: ["Lambda-Runtime-Aws-Request-Id"])])
        await #expect(throws: LambdaRuntimeError.missingHeader("Lambda-Runtime-Aws-Request-Id")) {
            _ = try await api.client().next(logger: Logger(label: "test"))
        }
    }

    @Test(arguments: [nil, "", "http://127.0.0.1:9001/", "no port here"])
    func aBadRuntimeAPIAddressIsRefusedByName(_ value: String?) {
        #expect(throws: LambdaRuntimeError.missingRuntimeAPI(value)) {
            _ = try LambdaRuntimeClient(runtimeAPI: value, httpClient: TestAWS.httpClient)
        }
    }
}

/// The trace ids a handler saw, in order.
final class TraceLog: Sendable {
    private let box = NIOLockedValueBox<[String?]>([])
    func append(_ value: String?) { box.withLockedValue { $0.append(value) } }
    var values: [String?] { box.withLockedValue { $0 } }
}
