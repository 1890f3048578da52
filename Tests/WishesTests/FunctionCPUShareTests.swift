import Foundation
import Testing

@testable import Wishes

/// The local Lambda gives a function the CPU its memory buys in Lambda (1,769 MB is one vCPU), so
/// CPU is billed time here as in AWS; the check of it against the template is in `DeployTests`.
struct FunctionCPUShareTests {
    /// Where this machine lets a cpu cgroup be made (root, cgroup v1's cpu controller or v2's).
    static let canLimit =
        FileManager.default.isWritableFile(atPath: "/sys/fs/cgroup/cpu/cgroup.procs")
        || FileManager.default.isWritableFile(atPath: "/sys/fs/cgroup/cgroup.subtree_control")

    /// Runs `LocalCloud runtime-api ARGUMENTS -- python3 cpu_share.py` to its end; its exit status and output.
    static func runtimeAPI(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("cpu-share-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = BuiltProducts.url("LocalCloud")
        process.arguments = ["runtime-api"] + arguments + ["--", "/usr/bin/python3", Python.scripts.appendingPathComponent("cpu_share.py").path]
        process.environment = ["PATH": "/usr/bin:/bin", "WISHES_EXIT_WITH_PARENT": "1", "LOG_LEVEL": "warning"]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try await offPool { process.waitUntilExit() }
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    struct Measured: Decodable {
        var share: Double
        var cgroups: [String]
        var limited: Bool { cgroups.contains { $0.contains("/wishes-") } }
    }

    static func measured(in output: String) throws -> Measured {
        let line = try #require(output.split(separator: "\n").first { $0.contains(#"{"share""#) }, "nothing measured:\n\(output)")
        return try JSONDecoder().decode(Measured.self, from: Data(line.drop { $0 != "{" }.utf8))
    }

    @Test(.enabled(if: canLimit, "no cpu cgroup can be made on this machine"))
    func aFunctionOf256MBGetsAtMostAnEighthOfACPU() async throws {
        let (status, output) = try await Self.runtimeAPI(["--memory-size", "256"])
        #expect(status == 0, "\(output)")
        let measured = try Self.measured(in: output)
        #expect(measured.limited, "in a cgroup of the local cloud: \(measured.cgroups)")
        // 256 / 1769 = 0.145 of a CPU, granted per 100 ms period. Only the ceiling is checked: other
        // tests on the same cores can leave it less, never more.
        #expect(measured.share < 0.19, "got \(measured.share) of a CPU")
        #expect(!output.contains("no cpu cgroup"))
    }

    @Test func withoutAMemorySizeTheEmulatorLeavesTheCPUAlone() async throws {
        let (status, output) = try await Self.runtimeAPI([])
        #expect(status == 0, "\(output)")
        let measured = try Self.measured(in: output)
        #expect(!measured.limited, "AWS's runtime interface emulator does not limit the CPU: \(measured.cgroups)")
    }

    @Test func aMemorySizeLambdaWouldRefuseIsNamed() async throws {
        let (status, output) = try await Self.runtimeAPI(["--memory-size", "64"])
        #expect(status != 0)
        #expect(output.contains("--memory-size takes a memory size from 128 to 10240 MB, as Lambda does, not '64'"), "\(output)")
        #expect(!output.contains(#"{"share""#), "nothing ran")
    }
}
