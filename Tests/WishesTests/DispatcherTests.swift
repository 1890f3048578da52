import Foundation
import Logging
import Testing

@testable import Wishes
@testable import WishesAWS

/// The dispatcher on the documented events, with S3 and SQS on moto: what it records and sends.
@Suite(.serialized)
struct DispatcherTests {
    static let logger = Logger(label: "test")

    func dispatcher(_ aws: TestAWS, bucket: String, queueURL: String? = nil) -> Dispatcher {
        var options = DispatcherOptions()
        options.retryBaseSeconds = 0
        let settings = WishesSettings(
            bucket: bucket, queueURL: queueURL, cluster: "wishes", taskDefinition: "count-to-three:3",
            containerName: "count-to-three")
        return Dispatcher(aws: AWSClients(client: aws.client), settings: settings, options: options)
    }

    func invoke(_ dispatcher: Dispatcher, _ fixture: String) async throws -> String {
        let invocation = LambdaInvocation(
            requestID: "test", deadline: Date().addingTimeInterval(60), event: try DispatchEventTests.fixture(fixture), logger: Self.logger)
        return String(decoding: try await dispatcher.handle(invocation), as: UTF8.self)
    }

    @Test func aStoppedTaskBecomesTheFailedAttemptAndTheFinalStatus() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            let dispatcher = dispatcher(aws, bucket: bucket)
            #expect(try await invoke(dispatcher, "ecs-task-stopped.json") == "{}")
            let subject = WishSubject(id: try #require(WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4X")))
            let status = try #require(try await dispatcher.statuses.read(subject))
            #expect(status.state == .failed)
            let attempt = try #require(status.attempts.first)
            #expect(attempt.exitCode == 3)
            #expect(attempt.stopCode == "EssentialContainerExited")
            #expect(attempt.taskArn == "arn:aws:ecs:us-east-1:123456789012:task/wishes/b99d40b3aa1b4f5c8b2d7e2a54ac8c3b")
            #expect(status.statusReason?.contains("exit code 3") == true, "\(status.statusReason ?? "")")
            // The same event again (EventBridge delivers at least once) changes nothing.
            _ = try await invoke(dispatcher, "ecs-task-stopped.json")
            let again = try #require(try await dispatcher.statuses.read(subject))
            #expect(again.attempts == status.attempts)
            #expect(again.state == status.state && again.statusReason == status.statusReason)
        }
    }

    @Test func aSpotInterruptionOfAnArrayChildIsRetriedOnItsQueue() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queueURL in
                let dispatcher = dispatcher(aws, bucket: bucket, queueURL: queueURL)
                let id = try #require(WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4Y"))
                let spec = try WishSpec.parse(json: Array(#"{"wish":"spot","queue":"default","attempts":3,"arraySize":10}"#.utf8), now: Date())
                try await aws.s3.putObject(bucket: bucket, key: dispatcher.layout.spec(id), body: WishJSON.encode(spec), contentType: "application/json")
                _ = try await invoke(dispatcher, "ecs-task-spot-interrupted.json")
                let messages = try await aws.sqs.receiveMessages(queueURL: queueURL, maxMessages: 10, waitTimeSeconds: 1)
                #expect(messages.count == 1)
                let retry = try WishJSON.decode(WishMessage.self, from: Array(try #require(messages.first).Body.utf8))
                #expect(retry == WishMessage(id: id, arrayIndex: 4, attempt: 3))
                let status = try #require(try await dispatcher.statuses.read(WishSubject(id: id, arrayIndex: 4)))
                #expect(status.state != .failed, "a retried attempt is not the end")
                #expect(status.attempts.first?.reason == "interrupted (Fargate Spot reclaimed the capacity)")
            }
        }
    }

    /// The sweep reads ECS (moto's ListTasks and DescribeTasks here); a missing cluster is an error, not an empty report.
    @Test func theMinutesTickSweepsAndReportsAsJSON() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            let cluster = TestAWS.uniqueName("sweep")
            let ecs = ECSClient(client: aws.client)
            var settings = WishesSettings(bucket: bucket, cluster: cluster, taskDefinition: "count-to-three:3")
            settings.containerName = "count-to-three"
            let dispatcher = Dispatcher(aws: AWSClients(client: aws.client), settings: settings)
            await #expect { _ = try await invoke(dispatcher, "scheduled-event.json") } throws: {
                ($0 as? AWSClientError)?.isCode(.clusterNotFound) == true
            }
            _ = try await aws.client.send(ecs.request("CreateCluster", ["clusterName": cluster]))
            let report = try await invoke(dispatcher, "scheduled-event.json")
            _ = try await aws.client.send(ecs.request("DeleteCluster", ["cluster": cluster]))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
            #expect(object["active"] as? Int == 0)
        }
    }

    /// A task still provisioning is not past its timeout (that counts from `startedAt`), but it is
    /// reported once it has waited longer than the stuck limit; tasks that are not ours are ignored.
    @Test func theSweepReportsALaunchStuckBeforeRunningWithoutStoppingIt() async throws {
        let aws = try await TestAWS.moto()
        let startedBy = TaskIdentity(subject: WishSubject(id: WishID.generate(at: Date())), attempt: 1).startedBy
        var task = ECS.Task(taskArn: "arn:aws:ecs:us-east-1:1:task/wishes/abc", lastStatus: "PROVISIONING")
        task.startedBy = startedBy
        task.createdAt = Date().timeIntervalSince1970 - 1_000
        task.tags = [ECS.Tag(key: "wish-timeout", value: "60")]
        var other = task
        other.startedBy = "someone-else"
        var report = SweepReport()
        let dispatcher = dispatcher(aws, bucket: "unused")
        for task in [task, other] { try await dispatcher.sweep(task, into: &report, logger: Self.logger) }
        #expect(report == SweepReport(active: 1, timedOut: [], stuck: [startedBy]))
    }

    @Test func aBatchWithABadRecordAcknowledgesItAndNamesOnlyTheFailedOnes() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            // No queue URL and no task definition: launching fails, so that record must come back;
            // the undecodable one is acknowledged (its wish marked FAILED), never looped.
            var settings = WishesSettings(bucket: bucket, cluster: "wishes")
            settings.containerName = "count-to-three"
            let dispatcher = Dispatcher(aws: AWSClients(client: aws.client), settings: settings)
            let event = SQSEvent(Records: [
                .init(messageId: "poison", receiptHandle: "r1", body: #"{"id":"01JD5Z8Q7W3M2K4N6P8R0T2V4Z","spec":{"vcpus":"many"}}"#),
                .init(messageId: "good", receiptHandle: "r2", body: #"{"id":"01JD5Z8Q7W3M2K4N6P8R0T2V50","spec":{"wish":"ok"}}"#),
            ])
            let response = await dispatcher.handle(event, deadline: Date().addingTimeInterval(60), logger: Self.logger)
            #expect(response == SQSBatchResponse(failedMessageIDs: ["good"]))
            let poisonedID = try #require(WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4Z"))
            let poisoned = try #require(try await dispatcher.statuses.read(WishSubject(id: poisonedID)))
            #expect(poisoned.state == .failed)
            #expect(poisoned.statusReason?.contains("vcpus") == true)
        }
    }

    @Test func recordsLeftWhenTheDeadlineNearsComeBack() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            let dispatcher = dispatcher(aws, bucket: bucket)
            let event = SQSEvent(Records: [.init(messageId: "late", receiptHandle: "r", body: #"{"id":"01JD5Z8Q7W3M2K4N6P8R0T2V4Z"}"#)])
            let response = await dispatcher.handle(event, deadline: Date().addingTimeInterval(1), logger: Self.logger)
            #expect(response == SQSBatchResponse(failedMessageIDs: ["late"]))
        }
    }

    /// A wish sent straight to the queue may name a dependency whose own message is still on its
    /// way: it waits for it, but not past an hour after that id's time; then it ends FAILED, named.
    @Test func aDependencyThatNeverAppearsFailsItsWaiterInsteadOfWaitingForever() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let dispatcher = dispatcher(aws, bucket: bucket, queueURL: queue)
                let recent = WishID.generate(at: Date().addingTimeInterval(-60))
                let old = WishID.generate(at: Date().addingTimeInterval(-7200))
                let waiting = WishID.generate(at: Date())
                let doomed = WishID.generate(at: Date().addingTimeInterval(1))
                let event = SQSEvent(Records: [
                    .init(messageId: "a", receiptHandle: "r1", body: #"{"id":"\#(waiting)","spec":{"wish":"w","dependsOn":["\#(recent)"]}}"#),
                    .init(messageId: "b", receiptHandle: "r2", body: #"{"id":"\#(doomed)","spec":{"wish":"w","dependsOn":["\#(old)"]}}"#),
                ])
                let response = await dispatcher.handle(event, deadline: Date().addingTimeInterval(60), logger: Self.logger)
                #expect(response == SQSBatchResponse(failedMessageIDs: []))
                let stillWaiting = try #require(try await dispatcher.statuses.read(WishSubject(id: waiting)))
                #expect(stillWaiting.state == .pending, "a dependency made a minute ago may still be on its way")
                let failed = try #require(try await dispatcher.statuses.read(WishSubject(id: doomed)))
                #expect(failed.state == .failed)
                #expect(failed.statusReason?.hasPrefix("dependency \(old) does not exist") == true, "\(failed.statusReason ?? "")")
            }
        }
    }

    /// A STOPPED event that failed all of Lambda's tries comes back from the on-failure destination,
    /// wrapped as Lambda wraps it, and is handled as the event itself would have been.
    @Test func aTaskEventFromTheOnFailureDestinationIsHandledAsTheEvent() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            let dispatcher = dispatcher(aws, bucket: bucket)
            let event = try JSONSerialization.jsonObject(with: Data(try DispatchEventTests.fixture("ecs-task-stopped.json")))
            let record: [String: Any] = [
                "version": "1.0", "timestamp": "2026-11-30T03:00:00.000Z",
                "requestContext": [
                    "requestId": "r", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:make-a-wish:$LATEST",
                    "condition": "RetriesExhausted", "approximateInvokeCount": 3,
                ],
                "requestPayload": event, "responseContext": ["statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"],
            ]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
            let batch = SQSEvent(Records: [
                .init(
                    messageId: "m", receiptHandle: "r", body: body,
                    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:\(DeployedNames.failedEventsQueue)")
            ])
            #expect(await dispatcher.handle(batch, deadline: Date().addingTimeInterval(60), logger: Self.logger) == SQSBatchResponse(failedMessageIDs: []))
            let id = try #require(WishID("01JD5Z8Q7W3M2K4N6P8R0T2V4X"))
            let status = try #require(try await dispatcher.statuses.read(WishSubject(id: id)))
            #expect(status.state == .failed)
            #expect(status.attempts.first?.exitCode == 3)
        }
    }

    /// A message on its last receive that fails again ends its wish FAILED with the error, instead
    /// of leaving it to the dead-letter queue; one that reached a dead-letter queue anyway ends it too.
    @Test func theLastReceiveAndADeadLetterEndTheWishFailed() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            // No task definition: every launch fails.
            var settings = WishesSettings(bucket: bucket, cluster: "wishes")
            settings.containerName = "count-to-three"
            let dispatcher = Dispatcher(aws: AWSClients(client: aws.client), settings: settings)
            let last = WishID.generate(at: Date())
            let dead = WishID.generate(at: Date().addingTimeInterval(1))
            let batch = SQSEvent(Records: [
                .init(messageId: "early", receiptHandle: "r1", body: #"{"id":"\#(last)","spec":{"wish":"w"}}"#, attributes: ["ApproximateReceiveCount": "2"])
            ])
            #expect(
                await dispatcher.handle(batch, deadline: Date().addingTimeInterval(60), logger: Self.logger) == SQSBatchResponse(failedMessageIDs: ["early"]))
            let lastTry = SQSEvent(Records: [
                .init(
                    messageId: "last", receiptHandle: "r2", body: #"{"id":"\#(last)"}"#,
                    attributes: ["ApproximateReceiveCount": String(DeployedNames.maxReceiveCount)])
            ])
            #expect(await dispatcher.handle(lastTry, deadline: Date().addingTimeInterval(60), logger: Self.logger) == SQSBatchResponse(failedMessageIDs: []))
            let ended = try #require(try await dispatcher.statuses.read(WishSubject(id: last)))
            #expect(ended.state == .failed)
            #expect(ended.statusReason?.hasPrefix("not launched after 5 tries") == true, "\(ended.statusReason ?? "")")

            let deadLetter = SQSEvent(Records: [
                .init(messageId: "dead", receiptHandle: "r3", body: #"{"id":"\#(dead)"}"#, eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:wishes-dlq")
            ])
            #expect(await dispatcher.handle(deadLetter, deadline: Date().addingTimeInterval(60), logger: Self.logger) == SQSBatchResponse(failedMessageIDs: []))
            let buried = try #require(try await dispatcher.statuses.read(WishSubject(id: dead)))
            #expect(buried.state == .failed)
            #expect(buried.statusReason?.contains("dead-lettered") == true, "\(buried.statusReason ?? "")")
            // A dead letter that is not a valid message still ends the wish its body names.
            let garbled = WishID.generate(at: Date().addingTimeInterval(2))
            let poison = SQSEvent(Records: [
                .init(
                    messageId: "poison", receiptHandle: "r4", body: #"{"id":"\#(garbled)","attempt":"first"}"#,
                    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:wishes-dlq")
            ])
            #expect(await dispatcher.handle(poison, deadline: Date().addingTimeInterval(60), logger: Self.logger) == SQSBatchResponse(failedMessageIDs: []))
            #expect(try await dispatcher.statuses.read(WishSubject(id: garbled))?.state == .failed)
        }
    }

    /// A wish due in three days waits as one S3 entry, not as a message every 15 minutes; the sweep
    /// sends it, delayed to its time, once it is less than 15 minutes away, and not before.
    @Test func aFarFutureWishWaitsAsOneEntryAndIsSentDelayedWhenItsTimeNears() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let settings = WishesSettings(
                    bucket: bucket, queueURL: queue, cluster: "wishes", taskDefinition: "count-to-three:3", containerName: "count-to-three")
                func at(_ offset: TimeInterval) -> Dispatcher {
                    Dispatcher(aws: AWSClients(client: aws.client), settings: settings, clock: ShiftedClock(seconds: offset))
                }
                let notBefore = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3 * 86_400).rounded(.down))
                let id = WishID.generate(at: Date())
                let event = SQSEvent(Records: [
                    .init(messageId: "m", receiptHandle: "r", body: #"{"id":"\#(id)","spec":{"wish":"later","notBefore":"\#(RFC3339.format(notBefore))"}}"#)
                ])
                #expect(await at(0).handle(event, deadline: Date().addingTimeInterval(60), logger: Self.logger) == SQSBatchResponse(failedMessageIDs: []))
                func queued() async throws -> (visible: Int, delayed: Int) {
                    let attributes = try await aws.sqs.getQueueAttributes(
                        url: queue, names: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"])
                    return (Int(attributes["ApproximateNumberOfMessages"] ?? "") ?? -1, Int(attributes["ApproximateNumberOfMessagesDelayed"] ?? "") ?? -1)
                }
                #expect(try await queued() == (0, 0), "the wait is no message")
                let entries = try await aws.s3.listAllObjects(bucket: bucket, prefix: "schedule/")
                #expect(entries.count == 1)
                let waiting = try #require(try await at(0).statuses.read(WishSubject(id: id)))
                #expect(waiting.state == .pending)
                #expect(waiting.statusReason == "waiting until \(RFC3339.format(notBefore))")

                #expect(try await at(86_400).releaseScheduled(logger: Self.logger) == 0, "two days early, nothing is sent")
                #expect(try await at(3 * 86_400 - 1_000).releaseScheduled(logger: Self.logger) == 0, "nor 1,000 s early: SQS delays 900 s at most")
                #expect(try await queued() == (0, 0))
                // Ten minutes before: the sweep sends it (delayed by those ten minutes), and the entry goes.
                #expect(try await at(3 * 86_400 - 600).releaseScheduled(logger: Self.logger) == 1)
                #expect(try await queued() == (0, 1))
                #expect(try await aws.s3.listAllObjects(bucket: bucket, prefix: "schedule/").isEmpty)
            }
        }
    }

    /// The message of `attempt`'s launch, as the queue delivers it.
    static func launch(_ attempt: TaskIdentity, onDemand: Bool = false, heldSince: Date? = nil) -> WishMessage {
        var message = WishMessage(id: attempt.subject.id, arrayIndex: attempt.subject.arrayIndex, attempt: attempt.attempt)
        message.onDemand = onDemand ? true : nil
        message.heldSince = heldSince
        return message
    }

    /// An asap launch refused for capacity holds default launches for a while, in every environment
    /// (each has its own memory; the marks are in S3), never asap ones, and not for ever.
    @Test func anAsapRefusalHoldsDefaultLaunchesEverywhereForAWhile() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            let settings = WishesSettings(bucket: bucket, cluster: "wishes")
            func environment(at offset: TimeInterval = 0) -> Dispatcher {
                var options = DispatcherOptions()
                options.asapFirstSeconds = 60
                return Dispatcher(aws: AWSClients(client: aws.client), settings: settings, options: options, clock: ShiftedClock(seconds: offset))
            }
            let first = environment()
            let plain = WishSpec(wish: "w")
            let urgent = WishSpec(wish: "w", queue: .asap)
            let message = Self.launch(TaskIdentity(subject: WishSubject(id: WishID.generate(at: Date())), attempt: 1))
            #expect(try await environment().admission(for: plain, message: message, logger: Self.logger) == nil, "nothing refused yet")
            let onDemand = WishSpec(wish: "w", queue: .defaultUninterruptible)
            // Spot was short for asap: default's Spot launches hold, its on-demand ones need not.
            await first.noteAsapRefused("FARGATE_SPOT", logger: Self.logger)
            let held = try await first.admission(for: plain, message: message, logger: Self.logger)
            #expect(held?.reason == "asap wishes are waiting for capacity; default wishes start after them")
            if case .until(let until)? = held?.kind {
                #expect(abs(until.timeIntervalSinceNow - 60) < 5, "held until the window ends")
            } else {
                Issue.record("held until a time, not \(String(describing: held))")
            }
            #expect(try await first.admission(for: urgent, message: message, logger: Self.logger) == nil)
            #expect(try await first.admission(for: onDemand, message: message, logger: Self.logger) == nil)
            var movedOn = message
            movedOn.onDemand = true
            #expect(
                try await first.admission(for: plain, message: movedOn, logger: Self.logger) == nil,
                "a Spot attempt moved to on-demand Fargate uses what was not short")
            var heldLong = message
            heldLong.heldSince = Date().addingTimeInterval(-3_600)
            #expect(
                try await first.admission(for: plain, message: heldLong, logger: Self.logger) == nil,
                "held for half an hour and more, a default wish goes and meets capacity itself")
            // An environment that saw no refusal itself reads the marks; throttling holds every default launch.
            #expect(try await environment().admission(for: plain, message: message, logger: Self.logger) != nil)
            await environment().noteAsapRefused(Dispatcher.throttled, logger: Self.logger)
            #expect(try await environment(at: 10).admission(for: onDemand, message: message, logger: Self.logger) != nil)
            let marks = try await aws.s3.listAllObjects(bucket: bucket, prefix: S3Layout(prefix: "").asapRefusedPrefix)
            #expect(marks.map(\.key) == ["gate/asap-refused/FARGATE_SPOT", "gate/asap-refused/THROTTLED"], "one environment's mark keeps another's")
            #expect(try await environment(at: 71).admission(for: plain, message: message, logger: Self.logger) == nil, "a minute on, default goes again")
        }
    }

    /// A queue's cap is one count for every environment: twelve launches racing for 1 vCPU of
    /// 0.25-vCPU tasks let exactly four through; ended attempts give their room back, and room held
    /// by an attempt that ECS does not run is given back by the sweep's check.
    @Test func aQueueCapLetsExactlyWhatFitsThroughRacingLaunches() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            var capped = WishesSettings(bucket: bucket, cluster: "wishes")
            capped.limits.queueMaxVCPUs = [.default: 1]
            let settings = capped
            let spec = WishSpec(wish: "w", vcpus: 0.25)
            let attempts = (0..<12).map { TaskIdentity(subject: WishSubject(id: WishID.generate(at: Date()), arrayIndex: $0), attempt: 1) }
            let admitted = try await withThrowingTaskGroup(of: TaskIdentity?.self) { group in
                for attempt in attempts {
                    group.addTask {
                        // Each launch in an environment of its own.
                        let dispatcher = Dispatcher(aws: AWSClients(client: aws.client), settings: settings)
                        return try await dispatcher.admission(for: spec, message: Self.launch(attempt), logger: Self.logger) == nil ? attempt : nil
                    }
                }
                return try await group.reduce(into: [TaskIdentity]()) { if let attempt = $1 { $0.append(attempt) } }
            }
            #expect(admitted.count == 4)
            let dispatcher = Dispatcher(aws: AWSClients(client: aws.client), settings: settings)
            let waiting = try #require(attempts.first { !admitted.contains($0) })
            let held = try await dispatcher.admission(for: spec, message: Self.launch(waiting), logger: Self.logger)
            #expect(held == Dispatcher.Hold(reason: "queue default is at its cap of 1 vCPU (WISHES_QUEUE_MAX_VCPUS)", kind: .room))
            #expect(
                try await dispatcher.admission(for: spec, message: Self.launch(admitted[0]), logger: Self.logger) == nil,
                "a launch delivered again keeps its room")
            try await dispatcher.releaseRoom(of: admitted[0], queue: .default)
            #expect(try await dispatcher.admission(for: spec, message: Self.launch(waiting), logger: Self.logger) == nil)
            #expect(
                try await dispatcher.admission(for: WishSpec(wish: "w", vcpus: 0.25, queue: .asap), message: Self.launch(attempts[11]), logger: Self.logger)
                    == nil,
                "another queue has no cap")
            // A wish accepted before the cap was lowered below its size could never start: it fails.
            let big = try await dispatcher.admission(for: WishSpec(wish: "w", vcpus: 2, memory: 4096), message: Self.launch(attempts[10]), logger: Self.logger)
            #expect(big?.kind == .never)
            // ECS runs none of them: an hour on, the check gives every room back.
            var later = Dispatcher(aws: AWSClients(client: aws.client), settings: settings, clock: ShiftedClock(seconds: 3_600))
            later.options.recoverAfterSeconds = 120
            await later.reconcileLedgers(inFlight: [admitted[1].startedBy], logger: Self.logger)
            #expect(try await later.ledger(.default).read().tasks.keys.sorted() == [admitted[1].startedBy])
        }
    }

    /// A record stuck on a call that never answers comes back at the invocation's deadline, alone:
    /// the other records of the batch are done, and the answer is given before Lambda would kill the
    /// invocation (and send the whole batch back). No call waits longer than the time left.
    @Test func aRecordStillRunningAtTheDeadlineComesBackAloneAndInTime() async throws {
        let peer = try await PeerProcess.badPeer(mode: "hang")
        let client = AWSClient(
            configuration: AWSConfiguration(region: "us-east-1", endpoints: [.s3: peer.endpoint, .sqs: peer.endpoint]),
            httpClient: TestAWS.httpClient, credentialProvider: StaticCredentialProvider(TestAWS.credentials), timeout: .seconds(30))
        var options = DispatcherOptions()
        options.deadlineMarginSeconds = 1
        let dispatcher = Dispatcher(aws: AWSClients(client: client), settings: WishesSettings(bucket: "b", queueURL: "http://q"), options: options)
        let event = SQSEvent(Records: [
            .init(messageId: "stuck", receiptHandle: "r1", body: #"{"id":"01JD5Z8Q7W3M2K4N6P8R0T2V4Z"}"#),
            .init(messageId: "poison", receiptHandle: "r2", body: "not json and no id"),
        ])
        let started = ContinuousClock.now
        let response = await dispatcher.handle(event, deadline: Date().addingTimeInterval(3), logger: Self.logger)
        let took = ContinuousClock.now - started
        #expect(response == SQSBatchResponse(failedMessageIDs: ["stuck"]))
        #expect(took < .seconds(3), "answered before the deadline, not after the client's 30 s timeout: \(took)")
    }
}
