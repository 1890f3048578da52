import Foundation
import Logging
import ServiceLifecycle
import WishesAWS

/// `LocalCloud runtime-api`: the local Lambda's Runtime API and invoke route for one bootstrap, and
/// nothing else of the cloud. Tests and benchmarks run a runtime against it, so the emulator they
/// judge the runtime by is the one the local cloud runs.
struct RuntimeAPICommand {
    var stateFile: String?
    var functionTimeout = 60
    /// The function's memory size: nil runs the bootstrap on whole cores, as AWS's runtime interface
    /// emulator does; a size gives it Lambda's share of the CPU for that memory (`CPUShare`).
    var memoryMB: Int?
    /// The bootstrap to start once the API listens; empty when the caller runs the runtime itself.
    var command: [String] = []

    static let usage = """
        LocalCloud runtime-api [--state-file PATH] [--function-timeout S] [--memory-size MB] [-- COMMAND [ARGUMENT...]]
          A Lambda Runtime API (2018-06-01) for one runtime, with the emulator's invoke route on the same port:
          POST http://HOST:PORT/2015-03-31/functions/function/invocations answers as Lambda's Invoke does
          (X-Amz-Function-Error and the error's JSON when the function fails, an init error's too).
          --state-file PATH       once it listens, write {"runtimeAPI": "HOST:PORT", "invoke": URL, "pid": N} here
          --function-timeout S    an invocation's deadline (60)
          --memory-size MB        run COMMAND with the CPU Lambda gives that much memory (MB / 1769 of a vCPU; root
                                  only) and report it in REPORT lines; without it, whole cores, as the emulator runs
          -- COMMAND              start COMMAND with AWS_LAMBDA_RUNTIME_API and Lambda's variables added to this
                                  environment, log INIT_REPORT at its first /next, and stop when it exits;
                                  without it, run the runtime yourself against AWS_LAMBDA_RUNTIME_API=HOST:PORT
        """

    static func parse(_ arguments: ArraySlice<String>) throws(UsageError) -> RuntimeAPICommand {
        var parsed = RuntimeAPICommand()
        var rest = arguments
        while let flag = rest.popFirst() {
            switch flag {
            case "--state-file":
                guard let path = rest.popFirst() else { throw UsageError("--state-file needs a value", usage: usage) }
                parsed.stateFile = path
            case "--function-timeout":
                guard let text = rest.popFirst(), let seconds = Int(text), seconds > 0 else {
                    throw UsageError("--function-timeout needs a number of seconds", usage: usage)
                }
                parsed.functionTimeout = seconds
            case "--memory-size":
                guard let text = rest.popFirst() else { throw UsageError("--memory-size needs a value", usage: usage) }
                parsed.memoryMB = try CPUShare.lambdaMemory(text, flag: "--memory-size", usage: usage)
            case "--":
                parsed.command = Array(rest)
                rest = []
            case "--help", "-h": throw UsageError(nil, usage: usage)
            default: throw UsageError("unknown option \(flag)", usage: usage)
            }
        }
        return parsed
    }

    func run(logger: Logger) async throws {
        let supervision: FunctionPool.Supervision =
            command.isEmpty ? .external : .once(executable: Self.resolve(command[0]), arguments: Array(command.dropFirst()))
        let stateFile = self.stateFile
        let pool = try FunctionPool(
            count: 1, supervision: supervision, environment: ProcessInfo.processInfo.environment, functionTimeout: functionTimeout,
            memoryMB: memoryMB ?? 128, limitsCPU: memoryMB != nil, servesInvoke: true,
            onReady: { instance, pid in
                let port = instance.port
                ConsoleOutput.write(
                    "LocalCloud | Runtime API on 127.0.0.1:\(port); invoke: POST http://127.0.0.1:\(port)/2015-03-31/functions/function/invocations")
                if let stateFile { Self.writeState(stateFile, port: port, pid: pid) }
            }, logger: logger)
        // The pool ends when the bootstrap exits, which is how a run with a COMMAND is meant to stop.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup)], gracefulShutdownSignals: [],
                cancellationSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch is CancellationError {
            // SIGTERM or Ctrl-C: the normal way to stop.
        }
    }

    /// A command named without a slash is looked up on PATH, as a shell would.
    static func resolve(_ name: String) -> String {
        guard !name.contains("/") else { return name }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return name
    }

    static func writeState(_ path: String, port: Int, pid: Int32?) {
        var state: [String: Any] = ["runtimeAPI": "127.0.0.1:\(port)", "invoke": "http://127.0.0.1:\(port)/2015-03-31/functions/function/invocations"]
        if let pid { state["pid"] = Int(pid) }
        guard let data = try? JSONSerialization.data(withJSONObject: state, options: [.sortedKeys]) else { return }
        // Readers see the whole file or none: rename is atomic.
        guard FileManager.default.createFile(atPath: path + ".tmp", contents: data) else { return }
        rename(path + ".tmp", path)
    }
}
