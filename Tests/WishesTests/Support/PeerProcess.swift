import Foundation
import Wishes

@testable import WishesAWS

/// An HTTP peer written in Python (`Scripts/`), stopped when the test ends: a misbehaving AWS
/// endpoint or a Lambda Runtime API.
final class PeerProcess: Sendable {
    let process: Process
    let port: Int
    let log: URL

    private init(process: Process, port: Int, log: URL) {
        self.process = process
        self.port = port
        self.log = log
    }

    /// A misbehaving AWS endpoint (`misbehaving_server.py`) in one of its modes.
    static func badPeer(mode: String) async throws -> PeerProcess {
        try await start(script: "misbehaving_server.py", arguments: [mode])
    }

    /// Starts the script and waits for the port it writes (to the file named last) once it listens.
    static func start(script: String, arguments: [String] = []) async throws -> PeerProcess {
        let directory = FileManager.default.temporaryDirectory
        let log = directory.appendingPathComponent("peer-\(UUID().uuidString).log")
        let portFile = directory.appendingPathComponent("peer-\(UUID().uuidString).port")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Python.scripts.appendingPathComponent(script).path] + arguments + [portFile.path]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { try? FileManager.default.removeItem(at: portFile) }
        // Up to 30 s: Python's start-up and imports take seconds on a loaded two-core CI machine.
        for _ in 0..<1200 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) {
                return PeerProcess(process: process, port: port, log: log)
            }
            guard process.isRunning else {
                throw TestError("\(script) \(arguments) exited \(process.terminationStatus) before listening; see \(log.path)")
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        process.terminate()
        throw TestError("\(script) \(arguments) did not listen within 30 s; see \(log.path)")
    }

    var endpoint: Endpoint { Endpoint(scheme: "http", host: "127.0.0.1", port: port, isAWS: false) }

    /// How many requests the peer has seen.
    var requests: Int {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(at: log)
    }
}
