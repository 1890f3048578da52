import Foundation
import Wishes

@testable import WishesAWS

/// `LocalCloud runtime-api`: the local cloud's own Lambda Runtime API for one runtime, with the
/// emulator's invoke route on the same port, stopped when the test lets go of it.
final class RuntimeAPIProcess: Sendable {
    let process: Process
    /// `host:port`, as `AWS_LAMBDA_RUNTIME_API` takes it.
    let address: String
    let log: URL

    private init(process: Process, address: String, log: URL) {
        self.process = process
        self.address = address
        self.log = log
    }

    struct State: Decodable { var runtimeAPI: String }

    static func start(functionTimeout: Int = 60) async throws -> RuntimeAPIProcess {
        let directory = FileManager.default.temporaryDirectory
        let name = "runtime-api-\(UUID().uuidString.prefix(8))"
        let stateFile = directory.appendingPathComponent("\(name).json")
        let log = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = BuiltProducts.url("LocalCloud")
        process.arguments = ["runtime-api", "--state-file", stateFile.path, "--function-timeout", String(functionTimeout)]
        process.environment = ["PATH": "/usr/bin:/bin", "WISHES_EXIT_WITH_PARENT": "1", "LOG_LEVEL": "warning"]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { try? FileManager.default.removeItem(at: stateFile) }
        for _ in 0..<400 {
            if let data = try? Data(contentsOf: stateFile) {
                return RuntimeAPIProcess(process: process, address: try JSONDecoder().decode(State.self, from: data).runtimeAPI, log: log)
            }
            guard process.isRunning else { throw TestError("LocalCloud runtime-api exited \(process.terminationStatus); see \(log.path)") }
            try await Task.sleep(for: .milliseconds(25))
        }
        process.terminate()
        throw TestError("LocalCloud runtime-api did not start; see \(log.path)")
    }

    func client() throws -> LambdaRuntimeClient { try LambdaRuntimeClient(runtimeAPI: address, httpClient: TestAWS.httpClient) }

    /// Invokes the function with `event` and waits for its answer, as Lambda's Invoke API gives it.
    func invoke(_ event: String) async throws -> HTTP.Answer {
        try await HTTP.call("POST", "http://\(address)/2015-03-31/functions/function/invocations", body: event, headers: ["Content-Type": "application/json"])
    }

    /// What the emulator logged (its REPORT and INIT_REPORT lines).
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(at: log)
    }
}
