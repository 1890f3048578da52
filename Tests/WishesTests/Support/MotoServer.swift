import Foundation
import Wishes

@testable import WishesAWS

#if canImport(Glibc)
    import Glibc
#endif

/// A real moto server on loopback, started once per test process and killed when it exits.
///
/// It is `scripts/lib/moto_server.py`, the local cloud's launcher: every request's signature is
/// checked as AWS checks it, so the tests sign as production does, with a role's temporary
/// credentials (an `ASIA…` key and a session token from sts:AssumeRole).
actor MotoServer {
    static let shared = MotoServer()

    /// One running server: where it listens and the credentials it accepts.
    struct Instance: Sendable {
        var endpoint: Endpoint
        /// The IAM user the launcher made; it may assume `roleArn`.
        var admin: Credentials
        var roleArn: String
        /// The role's temporary credentials, which every client of the tests signs with. Twelve
        /// hours (the role allows it), longer than any run of the suite, so one AssumeRole will do.
        var credentials: Credentials
    }

    /// What the launcher writes once it listens, is set up and refuses strangers.
    struct Admin: Decodable {
        var accessKeyId: String
        var secretAccessKey: String
        var roleArn: String
        var endpoint: String
    }

    private var starting: Task<Instance, any Error>?

    /// The shared server, starting it on first use. Concurrent first callers share one start:
    /// the actor is reentrant across the wait, so the start itself is what is kept.
    func instance() async throws -> Instance {
        if let starting { return try await starting.value }
        let task = Task {
            let (instance, process) = try await Self.start()
            motoPID = process.processIdentifier
            atexit { if motoPID > 0 { kill(motoPID, SIGTERM) } }
            return instance
        }
        starting = task
        return try await task.value
    }

    /// A moto server of the caller's own for the length of `body`: a suite that sends hundreds of
    /// requests and judges their latency must not queue behind every other suite on one Python process.
    /// - Parameters:
    ///   - host: the address it listens on (`::1` for IPv6).
    ///   - server: `waitress` or `werkzeug`; by default waitress when it is installed.
    ///   - wireLog: where the server appends each request's method and target as received.
    ///   - arguments: more of the launcher's options (`--fault-rate 0.5`).
    static func withPrivateServer<T>(
        host: String = "127.0.0.1", server: String = "auto", wireLog: URL? = nil, arguments: [String] = [],
        _ body: (Instance) async throws -> T
    ) async throws -> T {
        let (instance, process) = try await start(host: host, server: server, wireLog: wireLog, arguments: arguments)
        do {
            let result = try await body(instance)
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

    private static func start(
        host: String = "127.0.0.1", server: String = "auto", wireLog: URL? = nil,
        arguments: [String] = []
    ) async throws -> (Instance, Process) {
        let directory = FileManager.default.temporaryDirectory
        let name = "moto-\(UUID().uuidString.prefix(8))"
        let credentialsFile = directory.appendingPathComponent("\(name).json")
        let log = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Port 0: the launcher binds a free port itself and names it in the file, so no other
        // process can take the port between a choice here and its bind.
        // 32 threads: each SQS long poll holds one for its whole wait, and many suites poll at once.
        process.arguments =
            [
                "python3", Python.repository.appendingPathComponent("scripts/lib/moto_server.py").path,
                "-H", host, "-p", "0", "--threads", "32", "--server", server, "--credentials-file", credentialsFile.path,
            ]
            + (wireLog.map { ["--wire-log", $0.path] } ?? []) + arguments
        process.standardInput = FileHandle.nullDevice
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer { try? FileManager.default.removeItem(at: credentialsFile) }
        // Importing moto and boto3 and the set-up calls take a few seconds on a busy machine.
        for _ in 0..<1200 {
            if let data = try? Data(contentsOf: credentialsFile) {
                let admin = try JSONDecoder().decode(Admin.self, from: data)
                guard let endpoint = Endpoint(url: admin.endpoint) else { throw TestError("moto's credentials file names no endpoint: \(admin.endpoint)") }
                let keys = Credentials(accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey)
                let credentials = try await assumeRole(admin.roleArn, endpoint: endpoint, as: keys)
                return (Instance(endpoint: endpoint, admin: keys, roleArn: admin.roleArn, credentials: credentials), process)
            }
            guard process.isRunning else {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw TestError(
                    "moto_server.py exited \(process.terminationStatus) before it was ready (is moto installed? pip install 'moto[server]' boto3); \(log.path):\n\(text.suffix(3000))"
                )
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw TestError("moto_server.py wrote no \(credentialsFile.path) within 60 s; see \(log.path)")
    }

    /// The role's credentials, through our own STS client as production code would get them.
    static func assumeRole(_ roleArn: String, endpoint: Endpoint, as admin: Credentials, durationSeconds: Int = 43_200) async throws -> Credentials {
        let client = AWSClient(
            configuration: AWSConfiguration(region: "us-east-1", endpoints: [.sts: endpoint]), httpClient: TestAWS.httpClient,
            credentialProvider: StaticCredentialProvider(admin))
        return try await STSClient(client: client).assumeRole(roleArn: roleArn, sessionName: "wishes-tests", durationSeconds: durationSeconds)
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
