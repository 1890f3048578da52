import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// The built binaries through the local cloud: what a user sees, end to end.
@Suite(.serialized)
struct EndToEndTests {
    func cloud() async throws -> LocalCloudProcess.State { try await LocalCloudProcess.shared.state() }

    /// Polls the API until the wish is final, or fails after `seconds`.
    func final(_ id: String, within seconds: Int = 180) async throws -> [String: Any] {
        try await cloud().final(id, within: seconds)
    }

    @Test func theButtonEndsSucceededWithTheResultShown() async throws {
        let state = try await cloud()
        let home = try await state.call("GET", "/")
        #expect(home.body.contains("Hold your breath, make a wish, count to three"))
        let cookie = try #require(home.header("set-cookie")?.split(separator: ";").first.map(String.init))
        let token = String(cookie.dropFirst("csrf=".count))
        let wish = "<script>alert('x')</script> a pony"
        let form = "csrf=\(token)&wish=" + (wish.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        let refused = try await state.call("POST", "/wishes", body: form, headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(refused.status == 403, "a form without the CSRF cookie is refused")
        let posted = try await state.call("POST", "/wishes", body: form, headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie])
        #expect(posted.status == 303)
        let location = try #require(posted.header("location"))
        let id = String(location.split(separator: "/").last ?? "")
        let result = try await final(id)
        #expect(result["state"] as? String == "SUCCEEDED")
        let page = try await state.call("GET", location)
        #expect(page.body.contains("counted to three"))
        #expect(!page.body.contains("<script>alert"), "user text is escaped")
        #expect(page.body.contains("&lt;script&gt;alert"))
    }

    @Test func aCommandGetsItsEnvironmentAndIsRetriedUntilAttemptsRunOut() async throws {
        let state = try await cloud()
        let body = #"{"command":["sh","-c","echo value=$SECRET_THING; exit 3"],"environment":[{"name":"SECRET_THING","value":"hunter2"}],"attempts":2}"#
        let posted = try await state.call("POST", "/api/wishes", body: body, headers: ["Content-Type": "application/json"])
        #expect(posted.status == 202)
        #expect(!posted.body.contains("hunter2"), "the API never shows environment values")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any])?["id"] as? String)
        let result = try await final(id)
        #expect(result["state"] as? String == "FAILED")
        let attempts = try #require(result["attempts"] as? [[String: Any]])
        #expect(attempts.count == 2)
        #expect(attempts.allSatisfy { $0["exitCode"] as? Int == 3 })
        let output = try await state.call("GET", "/api/wishes/\(id)/output")
        #expect(output.body.contains("value=hunter2"), "the child saw the value")
        let described = try await state.call("GET", "/api/wishes/\(id)")
        #expect(!described.body.contains("hunter2"))
        // Once the wish has ended, no attempt needs its environment: the dispatcher deletes it.
        let aws = try state.aws()
        let secrets = S3Layout(prefix: "").secrets(try #require(WishID(id)))
        var remaining = try await aws.s3.getObjectIfExists(bucket: state.bucket, key: secrets)
        for _ in 0..<50 where remaining != nil {
            try await Task.sleep(for: .milliseconds(100))
            remaining = try await aws.s3.getObjectIfExists(bucket: state.bucket, key: secrets)
        }
        #expect(remaining == nil, "secrets.json is deleted when the wish ends")
    }

    @Test func theSameMessageDeliveredTwiceStartsOneTask() async throws {
        let state = try await cloud()
        let aws = try state.aws()
        let id = WishID.generate(at: Date())
        let message = WishMessage(id: id, spec: .object(["wish": .string("twice")]))
        async let first = aws.sqs.sendMessage(queueURL: state.queueURL, SQS.OutgoingMessage(id: "1", body: message.body))
        async let second = aws.sqs.sendMessage(queueURL: state.queueURL, SQS.OutgoingMessage(id: "2", body: message.body))
        _ = try await (first, second)
        let result = try await final(id.rawValue)
        #expect(result["state"] as? String == "SUCCEEDED")
        try await Task.sleep(for: .seconds(2))
        let startedBy = TaskIdentity(subject: WishSubject(id: id), attempt: 1).startedBy
        let tasks = try await aws.ecs.listTasks(.init(cluster: "wishes", startedBy: startedBy, desiredStatus: "STOPPED"))
        #expect(tasks.taskArns?.count == 1, "exactly one task for the attempt, counted at the ECS endpoint")
    }

    /// A dispatcher that died after claiming an attempt, before or after its RunTask call, and a
    /// redelivery that finds the claim: the same client token gives back the task, never a second one.
    @Test(arguments: [false, true])
    func aCrashBetweenClaimAndRecordingTheTaskStartsOneTask(taskWasStarted: Bool) async throws {
        let state = try await cloud()
        let aws = try state.aws()
        let settings = WishesSettings(bucket: state.bucket, queueURL: state.queueURL, cluster: "wishes", taskDefinition: "count-to-three")
        let dispatcher = Dispatcher(aws: aws, settings: settings)
        let id = WishID.generate(at: Date())
        let spec = try WishSpec.parse(json: Array(#"{"wish":"crash"}"#.utf8), now: Date())
        let identity = TaskIdentity(subject: WishSubject(id: id), attempt: 1)
        try await aws.s3.putObject(bucket: state.bucket, key: settings.layout.spec(id), body: WishJSON.encode(spec), contentType: "application/json")
        let claim = LaunchRecord(clientToken: identity.clientToken, claimedAt: Date())
        #expect(
            try await aws.s3.putObjectIfAbsent(
                bucket: state.bucket, key: settings.layout.claim(identity.subject, attempt: 1),
                body: WishJSON.encode(claim), contentType: "application/json"))
        if taskWasStarted {
            let output = try await aws.ecs.runTask(dispatcher.runTaskInput(identity, spec: spec))
            #expect(output.tasks?.count == 1)
        }
        _ = try await aws.sqs.sendMessage(queueURL: state.queueURL, SQS.OutgoingMessage(id: "1", body: WishMessage(id: id).body))
        let result = try await final(id.rawValue)
        #expect(result["state"] as? String == "SUCCEEDED")
        let tasks = try await aws.ecs.listTasks(.init(cluster: "wishes", startedBy: identity.startedBy, desiredStatus: "STOPPED"))
        #expect(tasks.taskArns?.count == 1, "one task for the attempt, counted at the ECS endpoint")
    }

    @Test func aMalformedMessageFailsItsWishWithTheReasonAndDoesNotLoop() async throws {
        let state = try await cloud()
        let aws = try state.aws()
        let id = WishID.generate(at: Date())
        let body = #"{"id":"\#(id)","spec":{"wish":5,"vcpus":3}}"#
        _ = try await aws.sqs.sendMessage(queueURL: state.queueURL, SQS.OutgoingMessage(id: "1", body: body))
        let result = try await final(id.rawValue, within: 120)
        #expect(result["state"] as? String == "FAILED")
        let reason = try #require(result["statusReason"] as? String)
        #expect(reason.contains("wish") && reason.contains("vcpus"), "the reason names the fields: \(reason)")
        // The queue is shared with the other suites, so whether this record was acknowledged is
        // asked of the built function itself: the same record again, through the invoke route.
        let again = WishID.generate(at: Date())
        let record: [String: Any] = [
            "messageId": "poison", "receiptHandle": "r", "eventSource": "aws:sqs", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:wishes", "attributes": ["ApproximateReceiveCount": "1"],
            "body": #"{"id":"\#(again)","spec":{"wish":5,"vcpus":3}}"#,
        ]
        let event = String(decoding: try JSONSerialization.data(withJSONObject: ["Records": [record]]), as: UTF8.self)
        let answer = try await HTTP.call("POST", "\(state.lambda)/2015-03-31/functions/function/invocations", body: event)
        #expect(answer.status == 200)
        #expect(answer.header("x-amz-function-error") == nil)
        let response = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
        let failures = response["batchItemFailures"] as? [Any] ?? []
        #expect(failures.isEmpty, "acknowledged, so it never comes back: \(answer.body)")
        #expect(try await final(again.rawValue, within: 10)["state"] as? String == "FAILED")
    }

    @Test func theEmulatorsInvokeRouteRunsTheFunctionAndReportsItsErrors() async throws {
        let state = try await cloud()
        let url = "\(state.lambda)/2015-03-31/functions/function/invocations"
        let tick = try await HTTP.call("POST", url, body: String(decoding: try DispatchEventTests.fixture("scheduled-event.json"), as: UTF8.self))
        #expect(tick.status == 200)
        #expect(tick.header("x-amz-function-error") == nil)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(tick.body.utf8)) as? [String: Any])
        #expect(report["active"] is Int)
        let bad = try await HTTP.call("POST", url, body: #"{"detail-type":"Something Else","detail":{}}"#)
        #expect(bad.status == 200)
        #expect(bad.header("x-amz-function-error") == "Unhandled")
        let error = try #require(try JSONSerialization.jsonObject(with: Data(bad.body.utf8)) as? [String: Any])
        #expect(error["errorType"] as? String == "DispatchError")
        #expect((error["errorMessage"] as? String)?.contains("Something Else") == true)
    }

    @Test func boto3ReadsTheResultWeWrote() async throws {
        let state = try await cloud()
        let posted = try await state.call("POST", "/api/wishes", body: #"{"wish":"read by boto3"}"#, headers: ["Content-Type": "application/json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any])?["id"] as? String)
        _ = try await final(id)
        struct Input: Encodable {
            var endpoint: String
            var bucket: String
            var key: String
        }
        struct Output: Decodable {
            var outcome: String
            var message: String
        }
        let output: Output = try await Python.run(
            "boto3_read_result.py", input: Input(endpoint: state.endpoint, bucket: state.bucket, key: "wishes/\(id)/attempts/1/result.json"),
            environment: state.pythonEnvironment)
        #expect(output.outcome == "succeeded")
        #expect(output.message.contains("read by boto3"))
    }
}
