import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

#if canImport(Glibc)
    import Glibc
#endif

/// The built `CountToThree` binary as Fargate runs it, with S3 on moto and real child processes.
@Suite(.serialized)
struct CountToThreeTests {
    /// One run of the task: its exit code, its log lines, and what it left in S3.
    struct Run {
        var exitCode: Int32
        var logs: String
        var result: AttemptResult?
        var output: [UInt8]
        var status: WishStatus?
    }

    let aws: TestAWS
    init() async throws { aws = try await TestAWS.moto() }

    var layout: S3Layout { S3Layout(prefix: "") }

    func store(_ spec: WishSpec, id: WishID, bucket: String) async throws {
        try await aws.s3.putObject(bucket: bucket, key: layout.spec(id), body: WishJSON.encode(spec.redacted), contentType: "application/json")
        if !spec.secrets.isEmpty {
            try await aws.s3.putObject(bucket: bucket, key: layout.secrets(id), body: WishJSON.encode(spec.secrets), contentType: "application/json")
        }
    }

    /// Starts the task; `during` runs while it works (to signal it or break S3), then it is awaited.
    func run(
        _ id: WishID, bucket: String, endpoint: String? = nil, environment extra: [String: String] = [:],
        during: (@Sendable (Process) async throws -> Void)? = nil
    ) async throws -> Run {
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("count-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: logFile) }
        let process = Process()
        process.executableURL = Python.repository.appendingPathComponent(".build/debug/CountToThree")
        process.environment = [
            "PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint ?? aws.endpoint.description,
            "AWS_ACCESS_KEY_ID": aws.roleCredentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": aws.roleCredentials.secretAccessKey,
            "AWS_SESSION_TOKEN": aws.roleCredentials.sessionToken ?? "",
            "WISHES_BUCKET": bucket, "WISH_ID": id.rawValue, "WISH_ATTEMPT": "1",
            "WISHES_COUNT_INTERVAL_SECONDS": "0", "WISHES_KILL_GRACE_SECONDS": "1", "WISHES_FLUSH_SECONDS": "0.2",
        ].merging(extra) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: logFile)
        process.standardError = process.standardOutput
        try process.run()
        if let during { try await during(process) }
        try await offPool { process.waitUntilExit() }
        let subject = WishSubject(id: id)
        let result = try await aws.s3.getObjectIfExists(bucket: bucket, key: layout.result(subject, attempt: 1))
        let output = try await aws.s3.getObjectIfExists(bucket: bucket, key: layout.output(subject, attempt: 1))
        return Run(
            exitCode: process.terminationStatus,
            logs: (try? String(contentsOf: logFile, encoding: .utf8)) ?? "",
            result: try result.map { try WishJSON.decode(AttemptResult.self, from: $0.body) },
            output: output?.body ?? [],
            status: try await StatusStore(objects: S3ObjectStorage(s3: aws.s3, bucket: bucket), layout: layout).read(subject))
    }

    /// Waits until the attempt's output object holds `text`: the command is running.
    func waitForOutput(_ text: String, id: WishID, bucket: String) async throws {
        for _ in 0..<100 {
            if let object = try await aws.s3.getObjectIfExists(bucket: bucket, key: layout.output(WishSubject(id: id), attempt: 1)),
                String(decoding: object.body, as: UTF8.self).contains(text)
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestError("no output \(text) within 10 s")
    }

    @Test func itCountsToThreeAndSaysWhatWasWished() async throws {
        try await aws.withBucket { bucket in
            let id = WishID.generate(at: Date())
            try await store(WishSpec(wish: "a pony"), id: id, bucket: bucket)
            let run = try await run(id, bucket: bucket)
            #expect(run.exitCode == 0)
            #expect(run.result?.outcome == .succeeded)
            #expect(run.result?.message == "Wished for \u{201C}a pony\u{201D} and counted to three.")
            #expect(String(decoding: run.output, as: UTF8.self).contains("one\ntwo\nthree\n"))
            // The task reports RUNNING itself and writes its outcome once, as the result; the
            // dispatcher merges it into the status when the task's STOPPED event comes.
            #expect(run.status?.attempts.first?.state == .running)
            #expect(run.status?.attempts.first?.startedAt != nil)
            // Logs are JSON lines, as CloudWatch reads them.
            for line in run.logs.split(separator: "\n") {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not JSON: \(line)")
            }
        }
    }

    @Test func aCommandsExitCodeIsTheTasksAndItsSecretsReachOnlyTheChild() async throws {
        try await aws.withBucket { bucket in
            let id = WishID.generate(at: Date())
            let spec = WishSpec(
                wish: "", command: ["sh", "-c", "echo length=${#TOKEN} index=${AWS_BATCH_JOB_ATTEMPT}; exit 7"],
                environment: [.init(name: "TOKEN", value: "hunter2-very-secret")])
            try await store(spec, id: id, bucket: bucket)
            let run = try await run(id, bucket: bucket)
            #expect(run.exitCode == 7)
            #expect(run.result?.outcome == .failed)
            #expect(run.result?.exitCode == 7)
            #expect(run.result?.reason == "exit code 7")
            #expect(String(decoding: run.output, as: UTF8.self) == "length=19 index=1\n")
            #expect(!run.logs.contains("hunter2"), "no secret in the logs")
            for object in try await aws.s3.listAllObjects(bucket: bucket) where object.key != layout.secrets(id) {
                let body = try await aws.s3.getObject(bucket: bucket, key: object.key).body
                #expect(!String(decoding: body, as: UTF8.self).contains("hunter2"), "no secret in \(object.key)")
            }
        }
    }

    @Test func theKillGraceAndOtherTimingsComeFromTheEnvironment() throws {
        let options = try AttemptOptions.fromEnvironment([
            "WISH_ID": WishID.generate(at: Date()).rawValue, "WISH_ATTEMPT": "2", "WISHES_KILL_GRACE_SECONDS": "1.5",
            "WISHES_COUNT_INTERVAL_SECONDS": "0", "WISHES_FLUSH_SECONDS": "0.2",
        ])
        #expect(options.killGrace == .milliseconds(1_500))
        #expect(options.countInterval == .zero)
        #expect(options.flushInterval == .milliseconds(200))
        #expect(options.identity.attempt == 2)
        let defaults = try AttemptOptions.fromEnvironment(["WISH_ID": WishID.generate(at: Date()).rawValue, "WISH_ATTEMPT": "1"])
        #expect(defaults.killGrace == .seconds(20), "Fargate's stopTimeout is 30 s: the default leaves ten to write the result")
    }

    @Test func aCommandPastItsTimeoutIsTerminatedThenKilled() async throws {
        try await aws.withBucket { bucket in
            let id = WishID.generate(at: Date())
            // Notes SIGTERM and carries on, so only SIGKILL after the grace ends it. (The API allows 60 s
            // or more; the stored spec is set directly to keep the test short.) The order is what is
            // checked, not the times: under the whole suite a second here can take twenty.
            let spec = WishSpec(
                wish: "", command: ["sh", "-c", "trap 'echo terminated' TERM; echo waiting; while true; do sleep 0.1; done"], timeoutSeconds: 1)
            try await store(spec, id: id, bucket: bucket)
            let run = try await run(id, bucket: bucket)
            #expect(String(decoding: run.output, as: UTF8.self) == "waiting\nterminated\n", "SIGTERM first")
            #expect(run.result?.outcome == .timedOut)
            #expect(run.result?.reason == "timed out after 1 s")
            #expect(run.exitCode == 128 + SIGKILL)
            #expect(run.status?.attempts.first?.state == .running, "the outcome is the result's, not a second write")
        }
    }

    @Test func sigtermMidRunIsForwardedAndTheAttemptIsInterrupted() async throws {
        try await aws.withBucket { bucket in
            let id = WishID.generate(at: Date())
            let spec = WishSpec(wish: "", command: ["sh", "-c", "trap 'echo got-term; exit 143' TERM; echo started; while true; do sleep 0.1; done"])
            try await store(spec, id: id, bucket: bucket)
            let started = ContinuousClock.now
            let run = try await run(id, bucket: bucket) { process in
                try await waitForOutput("started", id: id, bucket: bucket)
                kill(process.processIdentifier, SIGTERM)
            }
            #expect(ContinuousClock.now - started < .seconds(15), "exits well inside Spot's two minutes")
            #expect(run.exitCode == 143)
            #expect(run.result?.outcome == .interrupted)
            #expect(run.result?.reason == "interrupted (SIGTERM)")
            #expect(String(decoding: run.output, as: UTF8.self).hasSuffix("started\ngot-term\n"), "the output is flushed to the end")
        }
    }

    @Test func largeBinaryOutputIsCappedWithAMarkAndCounted() async throws {
        try await aws.withBucket { bucket in
            let id = WishID.generate(at: Date())
            try await store(WishSpec(wish: "", command: ["head", "-c", "3000000", "/dev/urandom"]), id: id, bucket: bucket)
            let run = try await run(id, bucket: bucket, environment: ["WISHES_OUTPUT_LIMIT_BYTES": "65536"])
            #expect(run.exitCode == 0)
            #expect(run.result?.outcome == .succeeded)
            #expect(run.result?.outputBytes == 3_000_000)
            #expect(run.result?.outputTruncated == true)
            #expect(run.output.count < 65536 + 200)
            #expect(String(decoding: run.output, as: UTF8.self).contains("bytes of output not kept ...]"), "the truncation is marked")
        }
    }

    @Test func aMissingSpecFailsTheAttemptWithTheReason() async throws {
        try await aws.withBucket { bucket in
            let id = WishID.generate(at: Date())
            let run = try await run(id, bucket: bucket)
            #expect(run.exitCode == 1)
            #expect(run.result?.outcome == .failed)
            #expect(run.result?.reason == "no spec stored for this wish")
        }
    }

    /// Runs `command` with S3 behind the outage proxy, which fails every call for `outageSeconds`
    /// (-1: for ever) from the moment the command has printed `before` into S3. The command waits
    /// for `$GO_FILE`, made once the outage is on, so its last writes always meet the outage.
    func runThroughOutage(_ command: String, outageSeconds: Int, bucket: String) async throws -> Run {
        let proxy = try await PeerProcess.start(script: "outage_proxy.py", arguments: [aws.endpoint.description])
        let id = WishID.generate(at: Date())
        let go = FileManager.default.temporaryDirectory.appendingPathComponent("go-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: go) }
        let waiting = "echo before; while [ ! -f \"$GO_FILE\" ]; do sleep 0.05; done; "
        try await store(WishSpec(wish: "", command: ["sh", "-c", waiting + command]), id: id, bucket: bucket)
        return try await run(id, bucket: bucket, endpoint: proxy.endpoint.description, environment: ["GO_FILE": go.path]) { _ in
            try await waitForOutput("before", id: id, bucket: bucket)
            _ = try await HTTP.call("POST", "\(proxy.endpoint)/_test/outage?seconds=\(outageSeconds)")
            _ = FileManager.default.createFile(atPath: go.path, contents: nil)
        }
    }

    @Test func anS3OutageDuringTheRunIsRiddenOut() async throws {
        try await aws.withBucket { bucket in
            let run = try await runThroughOutage("echo after", outageSeconds: 3, bucket: bucket)
            #expect(run.exitCode == 0)
            #expect(run.result?.outcome == .succeeded)
            #expect(String(decoding: run.output, as: UTF8.self) == "before\nafter\n")
            #expect(run.logs.contains("SlowDown"), "the outage was seen and retried")
        }
    }

    @Test func aResultThatCannotBeWrittenIsNeverASuccess() async throws {
        try await aws.withBucket { bucket in
            let run = try await runThroughOutage("true", outageSeconds: -1, bucket: bucket)
            #expect(run.exitCode != 0, "the command succeeded, but without a result the attempt must not")
            #expect(run.result == nil)
            #expect(run.logs.contains("result not written"))
        }
    }
}
