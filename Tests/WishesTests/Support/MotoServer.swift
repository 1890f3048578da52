import Foundation
import Wishes
#if canImport(Glibc)
import Glibc
#endif

/// A real moto server on loopback, started once per test process and killed when it exits.
actor MotoServer {
    static let shared = MotoServer()

    private var starting: Task<Endpoint, any Error>?

    /// The server's endpoint, starting it on first use. Concurrent first callers share one
    /// start: the actor is reentrant across the wait, so the start itself is what is kept.
    func endpoint() async throws -> Endpoint {
        if let starting { return try await starting.value }
        let task = Task {
            let (endpoint, process) = try await Self.start()
            motoPID = process.processIdentifier
            atexit { if motoPID > 0 { kill(motoPID, SIGTERM) } }
            return endpoint
        }
        starting = task
        return try await task.value
    }

    /// A moto server of the caller's own for the length of `body`: a suite that sends hundreds of
    /// requests and judges their latency must not queue behind every other suite on one Python process.
    static func withPrivateServer<T>(_ body: (Endpoint) async throws -> T) async throws -> T {
        let (endpoint, process) = try await start()
        do {
            let result = try await body(endpoint)
            try await stop(process)
            return result
        } catch {
            try? await stop(process)
            throw error
        }
    }

    /// SIGKILL, as a test server needs no graceful end; the wait runs off the cooperative pool.
    private static func stop(_ process: Process) async throws {
        kill(process.processIdentifier, SIGKILL)
        try await offPool { process.waitUntilExit() }
    }

    private static func start() async throws -> (Endpoint, Process) {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Python.repository.appendingPathComponent("scripts/lib/moto_server.py").path, "-H", "127.0.0.1", "-p", String(port)]
        process.standardInput = FileHandle.nullDevice
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(port).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let endpoint = Endpoint(scheme: "http", host: "127.0.0.1", port: Int(port), isAWS: false)
        for _ in 0..<200 {
            if canConnect(port: port) { return (endpoint, process) }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw TestError("moto server did not start on port \(port); see \(log.path)")
    }
}

nonisolated(unsafe) var motoPID: Int32 = 0

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Asks the kernel for a free loopback port.
func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestError("cannot find a free port") }
    return UInt16(bigEndian: address.sin_port)
}

func canConnect(port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
