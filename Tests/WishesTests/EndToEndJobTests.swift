import Foundation
import Logging
import Testing

@testable import Wishes
@testable import WishesAWS

/// The job features through the local cloud: arrays, dependencies, Spot retries, callbacks, timeouts.
@Suite(.serialized)
struct EndToEndJobTests {
    let e2e = EndToEndTests()

    func submit(_ body: String) async throws -> String {
        let state = try await e2e.cloud()
        let posted = try await state.call("POST", "/api/wishes", body: body, headers: ["Content-Type": "application/json"])
        #expect(posted.status == 202, "\(posted.body)")
        return try #require((try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any])?["id"] as? String)
    }

    /// Waits until the wish's first attempt runs, and names its task.
    func runningTaskArn(_ id: String) async throws -> String {
        let state = try await e2e.cloud()
        for _ in 0..<300 {
            let answer = try await state.call("GET", "/api/wishes/\(id)")
            let wish = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
            if let first = Self.attempts(wish).first, first["state"] as? String == "RUNNING", let arn = first["taskArn"] as? String { return arn }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestError("the first attempt of \(id) never ran")
    }

    static func attempts(_ wish: [String: Any]) -> [[String: Any]] { wish["attempts"] as? [[String: Any]] ?? [] }

    static func date(_ value: Any?) -> Date? { (value as? String).flatMap(RFC3339.parse) }

    @Test func anArrayOfThreeEndsWhenAllItsChildrenHave() async throws {
        let id = try await submit(#"{"command":["sh","-c","echo child $AWS_BATCH_JOB_ARRAY_INDEX of $WISH_ARRAY_SIZE"],"arraySize":3}"#)
        let result = try await e2e.final(id)
        #expect(result["state"] as? String == "SUCCEEDED")
        #expect(result["statusReason"] as? String == "all 3 children succeeded")
        #expect(result["children"] as? [String: Int] == ["SUCCEEDED": 3])
    }

    @Test(.enabled(if: FunctionCPUShareTests.canLimit, "no cpu cgroup can be made on this machine"))
    func aTaskGetsTheVCPUsItsSizeNamesAndNoMore() async throws {
        let script = Python.scripts.appendingPathComponent("cpu_share.py").path
        let id = try await submit(#"{"command":["/usr/bin/python3","\#(script)"],"vcpus":0.25}"#)
        let result = try await e2e.final(id)
        #expect(result["state"] as? String == "SUCCEEDED", "\(result)")
        let output = try await e2e.cloud().call("GET", "/api/wishes/\(id)/output")
        let measured = try FunctionCPUShareTests.measured(in: output.body)
        #expect(measured.limited, "in a cgroup of the local cloud: \(measured.cgroups)")
        // A quarter of a vCPU, granted per 100 ms period; other work on the cores can only lower it.
        #expect(measured.share < 0.31, "got \(measured.share) of a CPU")
    }

    @Test func aDependencyChainRunsInOrderAndAFailedLinkFailsTheRest() async throws {
        let first = try await submit(#"{"command":["sh","-c","sleep 1; echo first"]}"#)
        let second = try await submit(#"{"wish":"second","dependsOn":["\#(first)"]}"#)
        let third = try await submit(#"{"wish":"third","dependsOn":["\#(second)"]}"#)
        let results = [try await e2e.final(first), try await e2e.final(second), try await e2e.final(third)]
        #expect(results.map { $0["state"] as? String } == ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"])
        for (before, after) in zip(results, results.dropFirst()) {
            let ended = try #require(Self.date(Self.attempts(before).last?["stoppedAt"]))
            let started = try #require(Self.date(Self.attempts(after).first?["startedAt"]))
            #expect(started >= ended, "a dependent starts only after its dependency ended")
        }
        let broken = try await submit(#"{"command":["sh","-c","exit 4"]}"#)
        let waiting = try await submit(#"{"wish":"never","dependsOn":["\#(broken)"]}"#)
        let failed = try await e2e.final(waiting)
        #expect(failed["state"] as? String == "FAILED")
        #expect(failed["statusReason"] as? String == "dependency \(broken) failed")
        #expect(Self.attempts(failed).isEmpty, "it never ran")
    }

    /// Batch's array dependencies end to end: a SEQUENTIAL array runs its children one after
    /// another, and an N_TO_N array on it starts child i only after the other's child i ended.
    @Test func sequentialChildrenRunInOrderAndNToNChildrenFollowTheirTwins() async throws {
        let state = try await e2e.cloud()
        let chain = try await submit(
            #"{"command":["sh","-c","sleep 0.3; echo link $AWS_BATCH_JOB_ARRAY_INDEX"],"arraySize":3,"dependsOn":[{"type":"SEQUENTIAL"}]}"#)
        let paired = try await submit(#"{"command":["true"],"arraySize":3,"dependsOn":[{"jobId":"\#(chain)","type":"N_TO_N"}]}"#)
        for id in [chain, paired] {
            let result = try await e2e.final(id)
            #expect(result["state"] as? String == "SUCCEEDED", "\(id): \(result["statusReason"] ?? "")")
        }
        func child(_ id: String, _ index: Int) async throws -> (started: Date, stopped: Date) {
            let answer = try await state.call("GET", "/api/wishes/\(id)/children/\(index)")
            #expect(answer.status == 200, "\(answer.body)")
            let wish = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
            let attempt = try #require(Self.attempts(wish).last, "\(wish)")
            return (try #require(Self.date(attempt["startedAt"])), try #require(Self.date(attempt["stoppedAt"])))
        }
        var links: [(started: Date, stopped: Date)] = []
        for index in 0..<3 { links.append(try await child(chain, index)) }
        for (before, after) in zip(links, links.dropFirst()) {
            #expect(after.started >= before.stopped, "a SEQUENTIAL child starts after the one before it ended")
        }
        for index in 0..<3 {
            #expect(try await child(paired, index).started >= links[index].stopped, "N_TO_N child \(index) waits for its twin")
        }
    }

    @Test func aSpotInterruptionIsRetriedAndTheRetrySucceeds() async throws {
        let state = try await e2e.cloud()
        let id = try await submit(
            #"{"command":["sh","-c","if [ \"$WISH_ATTEMPT\" = 1 ]; then echo waiting; sleep 60; fi; echo attempt $WISH_ATTEMPT"],"attempts":2,"queue":"default"}"#
        )
        let task = try #require(try await runningTaskArn(id).split(separator: "/").last.map(String.init))
        let interrupted = try await HTTP.call("POST", "\(state.ecs)/_local/tasks/\(task)/interrupt")
        #expect(interrupted.status == 200)
        let result = try await e2e.final(id)
        #expect(result["state"] as? String == "SUCCEEDED")
        let attempts = Self.attempts(result)
        #expect(attempts.count == 2)
        #expect(attempts.first?["stopCode"] as? String == "SpotInterruption")
        #expect((attempts.first?["reason"] as? String)?.contains("interrupted") == true)
        #expect(attempts.last?["state"] as? String == "SUCCEEDED")
    }

    /// The sweep is the backstop for a task that misses its own timeout: it finds the attempt in ECS
    /// (ListTasks, DescribeTasks with tags), leaves it alone while it is within its limit, and stops it after.
    @Test func theMinutesSweepStopsAnAttemptPastItsTimeoutAndOnlyThen() async throws {
        let state = try await e2e.cloud()
        let id = try await submit(#"{"command":["sleep","600"],"timeoutSeconds":300}"#)
        let arn = try await runningTaskArn(id)
        let aws = try state.aws()
        let settings = WishesSettings(bucket: state.bucket, queueURL: state.queueURL, cluster: "wishes", taskDefinition: "count-to-three")
        let startedBy = TaskIdentity(subject: WishSubject(id: try #require(WishID(id))), attempt: 1).startedBy
        let logger = Logger(label: "test")

        let now = try await Dispatcher(aws: aws, settings: settings).sweep(logger: logger)
        #expect(now.active >= 1, "the running attempt is found through ECS")
        #expect(!now.timedOut.contains(startedBy), "within its limit, it is left alone")

        // The same task as a sweep five minutes on sees it: past its limit.
        let task = try #require(try await aws.ecs.describeTasks(cluster: "wishes", tasks: [arn]).tasks?.first)
        var later = SweepReport()
        try await Dispatcher(aws: aws, settings: settings, clock: ShiftedClock(seconds: 301)).sweep(task, into: &later, logger: logger)
        #expect(later.timedOut == [startedBy])
        let result = try await e2e.final(id, within: 120)
        #expect(result["state"] as? String == "FAILED")
        let stopped = try #require(try await aws.ecs.describeTasks(cluster: "wishes", tasks: [arn]).tasks?.first)
        #expect(stopped.stoppedReason == "timed out after 300 s")
    }

    /// Polls the receiver until it has `count` requests (or a while has passed), then returns them.
    func callbacks(_ receiver: PeerProcess, count: Int, within seconds: Int = 30) async throws -> [CallbackTests.Received] {
        var received: [CallbackTests.Received] = []
        for _ in 0..<(seconds * 10) {
            received = try await CallbackTests.received(receiver)
            if received.count >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return received
    }

    func callbackSignature() async throws -> CallbackSignature {
        let state = try await e2e.cloud()
        let arn = try #require(state.environment?["WISHES_CALLBACK_SECRET_ARN"])
        return CallbackSignature(secret: try await state.aws().secretsManager.getSecretString(arn))
    }

    /// A receiver that is down for its first two tries gets the third, signed; the try is recorded,
    /// and no try is sent again once one got a 2xx.
    @Test func aCallbackIsSignedAndRetriedUntilTheReceiverTakesIt() async throws {
        let receiver = try await PeerProcess.start(script: "request_recorder.py")
        let id = try await submit(#"{"wish":"call me","callbackUrl":"http://127.0.0.1:\#(receiver.port)/wishes/done?token=abc&fail=2"}"#)
        let result = try await e2e.final(id)
        #expect(result["state"] as? String == "SUCCEEDED")
        var received = try await callbacks(receiver, count: 3)
        try await Task.sleep(for: .seconds(3))
        received = try await CallbackTests.received(receiver)
        #expect(received.count == 3, "two refused tries, then one that landed, then none: \(received.map(\.path))")
        let signature = try await callbackSignature()
        for call in received {
            let headers = Dictionary(call.headers.map { ($0.key.lowercased(), $0.value) }) { a, _ in a }
            #expect(call.method == "POST")
            #expect(call.path == "/wishes/done?token=abc&fail=2")
            #expect(headers["webhook-id"] == id, "the same id on every try, for the receiver to drop repeats")
            let verified = signature.verify(
                id: id, timestamp: headers["webhook-timestamp"] ?? "", signatureHeader: headers["webhook-signature"] ?? "",
                body: Array(call.body.utf8))
            #expect(verified, "signed with the stack's secret: \(headers)")
        }
        // The README's snippet, run by Python on what was received, with the secret boto3 reads.
        struct Check: Codable {
            var verified: [Bool]
            var tampered: [Bool]
        }
        struct Request: Encodable {
            var headers: [String: String]
            var body: String
        }
        struct Input: Encodable {
            var secretArn: String
            var requests: [Request]
        }
        let state = try await e2e.cloud()
        let check = try await Python.run(
            "verify_callback_readme.py",
            input: Input(
                secretArn: try #require(state.environment?["WISHES_CALLBACK_SECRET_ARN"]),
                requests: received.map { Request(headers: $0.headers, body: $0.body) }),
            environment: state.pythonEnvironment, as: Check.self)
        #expect(check.verified == Array(repeating: true, count: received.count), "the README's verification accepts every try")
        #expect(check.tampered == Array(repeating: false, count: received.count), "and refuses a changed body")
        let last = try #require(received.last)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(last.body.utf8)) as? [String: Any])
        #expect(body["id"] as? String == id)
        #expect(body["state"] as? String == "SUCCEEDED")
        let shown = try await e2e.final(id)
        let callback = try #require(shown["callback"] as? [String: Any])
        #expect(callback["state"] as? String == "DELIVERED")
        #expect(callback["tries"] as? Int == 3)
        #expect(callback["httpStatus"] as? Int == 204)
    }

    /// A cancelled wish ends like any other: its callback is sent.
    @Test func aCancelledWishGetsItsCallback() async throws {
        let receiver = try await PeerProcess.start(script: "request_recorder.py")
        let later = RFC3339.format(Date().addingTimeInterval(3600))
        let id = try await submit(#"{"wish":"later","notBefore":"\#(later)","callbackUrl":"http://127.0.0.1:\#(receiver.port)/cancelled"}"#)
        let state = try await e2e.cloud()
        let cancelled = try await state.call("POST", "/api/wishes/\(id)/cancel")
        #expect(cancelled.status == 202, "\(cancelled.body)")
        let received = try await callbacks(receiver, count: 1)
        #expect(received.count == 1)
        let first = try #require(received.first)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
        #expect(body["state"] as? String == "FAILED")
        #expect(body["statusReason"] as? String == "cancelled")
    }

    /// Addresses that are never allowed are refused at submit, even by a local cloud that allows
    /// loopback. (Plain http to a name is judged when sent, on what it resolves to: CallbackTests.)
    @Test func aCallbackToTheMetadataServiceOrAPrivateAddressIsRefused() async throws {
        let state = try await e2e.cloud()
        for url in [
            "https://169.254.169.254/latest/meta-data/", "https://0xA9FEA9FE/", "https://[fd00:ec2::254]/", "http://169.254.170.2/v2/credentials",
            "https://10.0.0.1/hook", "http://8.8.8.8/hook", "https://user:pw@example.com/",
        ] {
            let answer = try await state.call(
                "POST", "/api/wishes", body: #"{"wish":"w","callbackUrl":"\#(url)"}"#, headers: ["Content-Type": "application/json"])
            #expect(answer.status == 400, "\(url): \(answer.body)")
            #expect(answer.body.contains("callbackUrl"), "\(url): \(answer.body)")
        }
    }
}

/// A wish past its timeout: a minute at least, as the API allows, so it runs beside the others.
struct EndToEndTimeoutTests {
    @Test func aCommandPastItsTimeoutIsStoppedAndFailsTimedOut() async throws {
        let e2e = EndToEndTests()
        let state = try await e2e.cloud()
        // The command exits 0 on SIGTERM, as a shell trap does: timed out is still a failure.
        let posted = try await state.call(
            "POST", "/api/wishes", body: #"{"command":["sh","-c","trap 'exit 0' TERM; sleep 600 & wait"],"timeoutSeconds":60}"#,
            headers: ["Content-Type": "application/json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any])?["id"] as? String)
        let result = try await e2e.final(id, within: 120)
        #expect(result["state"] as? String == "FAILED")
        #expect((result["statusReason"] as? String)?.contains("timed out after 60 s") == true, "\(result["statusReason"] ?? "")")
    }
}
