import Foundation
import NIOConcurrencyHelpers
import Wishes
import WishesAWS

/// moto server on loopback for SQS, S3 and STS, stopped with the local cloud (and if it dies).
///
/// It runs `scripts/lib/moto_server.py`, the launcher the tests use too: every request's signature is
/// checked as AWS checks it, and the launcher makes an IAM user (the operator, allowed everything)
/// and a role to hand out temporary credentials of, then names them in a file once it is ready.
enum MotoServer {
    /// What the launcher set up: the operator's long-lived key and the role everyone else assumes.
    struct Admin: Sendable {
        var endpoint: Endpoint
        /// The IAM user `wishes-admin` (an `AKIA…` key, no session token), allowed everything.
        var credentials: Credentials
        /// `wishes-local`, which trusts that user, is allowed everything and grants up to 12 hours.
        var roleArn: String
        /// `wishes-local-job`, the example job role: it trusts `wishes-local` (the tasks' role) and may
        /// only tell who it is (sts:GetCallerIdentity) and list buckets.
        var jobRoleArn: String?
    }

    /// The file's JSON, as the launcher writes it.
    private struct AdminFile: Decodable {
        var accessKeyId: String
        var secretAccessKey: String
        var roleArn: String
        var endpoint: String
        var jobRoleArn: String?
    }

    /// `WISHES_MOTO_LAUNCHER`, or `scripts/lib/moto_server.py` in the checkout this executable was built
    /// in (`.build/debug/LocalCloud`, which is `.build/<triple>/debug/LocalCloud` once links are resolved).
    static func launcher(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let path = environment["WISHES_MOTO_LAUNCHER"], !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else {
                throw LocalCloudError.motoDidNotStart("WISHES_MOTO_LAUNCHER=\(path) does not exist")
            }
            return path
        }
        let executables = [CommandLine.arguments[0], (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""]
        var tried: [String] = []
        for executable in executables where !executable.isEmpty {
            var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
            for _ in 0..<4 {
                folder = folder.deletingLastPathComponent()
                let candidate = folder.appendingPathComponent("scripts/lib/moto_server.py").path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
                if !tried.contains(candidate) { tried.append(candidate) }
            }
        }
        throw LocalCloudError.motoDidNotStart(
            "the launcher is not at \(tried.joined(separator: " nor ")): run LocalCloud from its checkout's .build, or set WISHES_MOTO_LAUNCHER to scripts/lib/moto_server.py"
        )
    }

    /// Starts moto on `port` and returns once it listens, is set up and checks signatures.
    static func start(port: Int, faultRate: Double = 0, latency: AWSLatency = AWSLatency()) async throws -> (ChildProgram, Admin) {
        let launcher = try launcher()
        let adminFile = FileManager.default.temporaryDirectory.appendingPathComponent("wishes-moto-\(port)-\(UUID().uuidString.prefix(8)).json")
        defer { try? FileManager.default.removeItem(at: adminFile) }
        let program = ChildProgram(
            name: "moto", executable: "/usr/bin/env",
            arguments: [
                "python3", launcher, "-H", "127.0.0.1", "-p", String(port), "--credentials-file", adminFile.path,
                "--fault-rate", String(faultRate), "--latency", latency.motoArgument,
            ],
            environment: ProcessInfo.processInfo.environment)
        // moto logs every request; keep only its warnings and errors, and the last lines for a failed start.
        let recent = NIOLockedValueBox<[String]>([])
        try program.start { line in
            recent.withLockedValue { lines in
                lines.append(line)
                if lines.count > 20 { lines.removeFirst() }
            }
            if line.contains("WARNING") || line.contains("Error") || line.contains("Traceback") || line.contains("moto ready")
                || line.contains("moto_server.py")
            {
                ConsoleOutput.write("moto | \(line)")
            }
        }
        // Importing moto and boto3 and the set-up calls take a few seconds on a busy machine.
        for _ in 0..<1200 {
            if let data = try? Data(contentsOf: adminFile) {
                let file: AdminFile
                do {
                    file = try JSONDecoder().decode(AdminFile.self, from: data)
                } catch {
                    await program.stop(grace: .seconds(1))
                    throw LocalCloudError.motoDidNotStart("\(launcher) wrote an unreadable \(adminFile.path): \(error)")
                }
                guard let endpoint = Endpoint(url: file.endpoint) else {
                    await program.stop(grace: .seconds(1))
                    throw LocalCloudError.motoDidNotStart("\(launcher) named no endpoint (\(file.endpoint))")
                }
                return (
                    program,
                    Admin(
                        endpoint: endpoint, credentials: Credentials(accessKeyId: file.accessKeyId, secretAccessKey: file.secretAccessKey),
                        roleArn: file.roleArn, jobRoleArn: file.jobRoleArn)
                )
            }
            if !program.isRunning {
                let tail = recent.withLockedValue { $0.joined(separator: "\n") }
                throw LocalCloudError.motoDidNotStart("\(launcher) exited before it was ready; is moto installed? (pip install 'moto[server]' boto3)\n\(tail)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await program.stop(grace: .seconds(1))
        throw LocalCloudError.motoDidNotStart("\(launcher) was not ready on port \(port) within 60 s")
    }
}
