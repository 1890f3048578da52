import Foundation
import Wishes

/// A misbehaving HTTP peer (Scripts/misbehaving_server.py), stopped when the test ends.
final class BadPeer: Sendable {
    let process: Process
    let port: Int
    let log: URL

    private init(process: Process, port: Int, log: URL) {
        self.process = process
        self.port = port
        self.log = log
    }

    /// Starts the peer and waits for the port it writes once it listens.
    static func start(mode: String) async throws -> BadPeer {
        let directory = FileManager.default.temporaryDirectory
        let log = directory.appendingPathComponent("bad-peer-\(UUID().uuidString).log")
        let portFile = directory.appendingPathComponent("bad-peer-\(UUID().uuidString).port")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Python.scripts.appendingPathComponent("misbehaving_server.py").path, mode, portFile.path]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { try? FileManager.default.removeItem(at: portFile) }
        for _ in 0..<200 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) {
                return BadPeer(process: process, port: port, log: log)
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        process.terminate()
        throw TestError("bad peer (\(mode)) did not start; see \(log.path)")
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
