import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// Issue 18: whatever is lost or stops early, a wish ends, with a reason, and no attempt starts twice.
@Suite(.serialized)
struct EveryWishEndsTests {
    let jobs = EndToEndJobTests()
    var e2e: EndToEndTests { jobs.e2e }

    /// A shell that traps SIGTERM and exits 0 is common; being stopped is still not success.
    @Test func aCancelledCommandThatExitsZeroOnSIGTERMEndsCancelled() async throws {
        let id = try await jobs.submit(
            #"{"command":["sh","-c","trap 'exit 0' TERM; echo waiting; sleep 600 & wait"],"attempts":3}"#)
        _ = try await jobs.runningTaskArn(id)
        let state = try await e2e.cloud()
        let cancelled = try await state.call("POST", "/api/wishes/\(id)/cancel")
        #expect(cancelled.status == 202)
        let result = try await e2e.final(id, within: 120)
        #expect(result["state"] as? String == "FAILED")
        #expect(result["statusReason"] as? String == "cancelled")
        let attempts = EndToEndJobTests.attempts(result)
        #expect(attempts.count == 1, "a cancelled wish is not retried")
        #expect(attempts.first?["state"] as? String == "FAILED")
    }

    /// Cancelling an array stops its running children and launches none of the rest.
    @Test func cancellingAnArrayStopsItsChildrenAndLaunchesNoMore() async throws {
        let state = try await e2e.cloud()
        let id = try await jobs.submit(#"{"command":["sh","-c","sleep 600"],"arraySize":40}"#)
        // Wait until some children run, then cancel.
        let aws = try state.aws()
        var running: [String] = []
        for _ in 0..<300 {
            running =
                try await aws.ecs.listTasks(ECS.ListTasksInput(cluster: "wishes", desiredStatus: "RUNNING"))
                .taskArns ?? []
            let ours =
                try await aws.ecs.describeTasks(cluster: "wishes", tasks: running).tasks?.filter {
                    $0.startedBy?.contains(id) == true
                } ?? []
            if !ours.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let cancelled = try await state.call("POST", "/api/wishes/\(id)/cancel")
        #expect(cancelled.status == 202)
        let result = try await e2e.final(id, within: 120)
        #expect(result["state"] as? String == "FAILED")
        #expect(result["statusReason"] as? String == "cancelled")
        // Within a while, none of its tasks runs and every child has ended.
        var left: [ECS.Task] = []
        for _ in 0..<150 {
            let arns =
                try await aws.ecs.listTasks(ECS.ListTasksInput(cluster: "wishes", desiredStatus: "RUNNING"))
                .taskArns ?? []
            left =
                arns.isEmpty
                ? []
                : (try await aws.ecs.describeTasks(cluster: "wishes", tasks: arns).tasks ?? []).filter {
                    $0.startedBy?.contains(id) == true
                }
            if left.isEmpty { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(left.isEmpty, "children still running: \(left.compactMap(\.startedBy))")
        let stopped =
            try await aws.ecs.listTasks(ECS.ListTasksInput(cluster: "wishes", desiredStatus: "STOPPED"))
            .taskArns ?? []
        let launched =
            stopped.isEmpty
            ? []
            : (try await aws.ecs.describeTasks(cluster: "wishes", tasks: stopped).tasks ?? []).filter {
                $0.startedBy?.contains(id) == true
            }
        #expect(
            launched.count < 40,
            "queued children never launched after the cancel (\(launched.count) of 40 did)")
    }

    /// With every task event lost, the sweep finds the stopped tasks in ECS and ends their wishes,
    /// retries included.
    @Test func whenEveryTaskEventIsLostTheSweepStillEndsEachWish() async throws {
        try await LocalCloudProcess.withPrivateCloud(
            environment: ["WISHES_RECOVER_AFTER_SECONDS": "2"], arguments: ["--drop-task-events", "1"]
        ) { state in
            let ok = try await state.submit(#"{"wish":"quiet"}"#)
            let retried = try await state.submit(
                #"{"command":["sh","-c","test \"$WISH_ATTEMPT\" = 2"],"attempts":2}"#)
            let first = try await state.final(ok, within: 60)
            #expect(first["state"] as? String == "SUCCEEDED")
            let second = try await state.final(retried, within: 90)
            #expect(second["state"] as? String == "SUCCEEDED", "\(second["statusReason"] ?? "")")
            #expect(EndToEndJobTests.attempts(second).count == 2)
            let stats =
                try JSONSerialization.jsonObject(
                    with: Data(try await HTTP.call("GET", "\(state.ecs)/_local/stats").body.utf8))
                as? [String: Any]
            #expect(
                (stats?["eventsDelivered"] as? Int ?? 0) == 0 || (stats?["eventsDropped"] as? Int ?? 0) > 0,
                "events were lost: \(stats ?? [:])")
        }
    }

    /// Every task event lost, and ECS forgetting a stopped task after a second instead of an hour:
    /// neither an event nor ECS's lists can end these wishes, so the in-flight entries do. A lost
    /// task's attempt is judged by the result it wrote, and retried by the wish's rules.
    @Test func anAttemptWhoseTaskECSForgotIsJudgedByItsResultAndRetried() async throws {
        try await LocalCloudProcess.withPrivateCloud(
            environment: ["WISHES_RECOVER_AFTER_SECONDS": "4"], arguments: ["--drop-task-events", "1", "--stopped-retention", "1"]
        ) { state in
            let ok = try await state.submit(#"{"command":["true"]}"#)
            let retried = try await state.submit(#"{"command":["sh","-c","test \"$WISH_ATTEMPT\" = 2 || exit 3"],"attempts":2}"#)
            // The task's own report of its success ends the first; only the dispatcher retries, so the
            // second ends only if the lost attempt 1 was found and judged.
            let first = try await state.final(ok, within: 90)
            #expect(first["state"] as? String == "SUCCEEDED", "\(first["statusReason"] ?? "")")
            let second = try await state.final(retried, within: 120)
            #expect(second["state"] as? String == "SUCCEEDED", "\(second["statusReason"] ?? "")")
            let attempts = EndToEndJobTests.attempts(second)
            #expect(attempts.count == 2)
            #expect(attempts.first?["exitCode"] as? Int == 3, "the lost attempt's exit code, from its result: \(attempts.first ?? [:])")
        }
    }

    /// A message that reached a dead-letter queue ends its wish FAILED, with that said.
    @Test func aDeadLetterEndsItsWishFailed() async throws {
        let state = try await e2e.cloud()
        let later = RFC3339.format(Date().addingTimeInterval(3600))
        let id = try await jobs.submit(#"{"wish":"later","notBefore":"\#(later)"}"#)
        let aws = try state.aws()
        let dlq = state.queueURL + DeployedNames.deadLetterSuffix
        _ = try await aws.sqs.sendMessage(
            queueURL: dlq,
            SQS.OutgoingMessage(id: "0", body: WishMessage(id: try #require(WishID(id))).body))
        let result = try await e2e.final(id, within: 120)
        #expect(result["state"] as? String == "FAILED")
        #expect(
            (result["statusReason"] as? String)?.contains("dead-lettered") == true,
            "\(result["statusReason"] ?? "")")
    }
}

/// Launches refused for capacity wait and try again without spending the queue's receives, and a
/// Spot queue's attempt moves to on-demand Fargate when Spot has none.
struct CapacityTests {
    @Test func aWishWithNoSpotCapacityRunsOnDemandAndWishesBeyondTheCapWaitTheirTurn() async throws {
        try await LocalCloudProcess.withPrivateCloud(arguments: [
            "--spot-unavailable-rate", "1", "--max-running", "1",
        ]) { state in
            // The default queue runs on Spot, which has no capacity here at all.
            let spot = try await state.submit(#"{"command":["sh","-c","sleep 1"],"queue":"default"}"#)
            let waiting = try await state.submit(#"{"command":["sh","-c","sleep 1"],"queue":"asap"}"#)
            let first = try await state.final(spot, within: 90)
            #expect(first["state"] as? String == "SUCCEEDED", "\(first["statusReason"] ?? "")")
            let second = try await state.final(waiting, within: 90)
            #expect(second["state"] as? String == "SUCCEEDED", "\(second["statusReason"] ?? "")")
            let aws = try state.aws()
            let arn = try #require(EndToEndJobTests.attempts(first).last?["taskArn"] as? String)
            let task = try #require(
                try await aws.ecs.describeTasks(cluster: "wishes", tasks: [arn]).tasks?.first)
            #expect(
                task.capacityProviderName == "FARGATE",
                "after Spot refused it, the attempt ran on on-demand Fargate")
            // Nothing was dead-lettered: waiting for capacity spends no receives.
            let dead = try await aws.sqs.receiveMessages(
                queueURL: state.queueURL + DeployedNames.deadLetterSuffix, maxMessages: 10,
                waitTimeSeconds: 0)
            #expect(dead.isEmpty)
        }
    }
}
