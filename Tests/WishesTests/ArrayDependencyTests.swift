import Foundation
import Logging
import Testing

@testable import Wishes
@testable import WishesAWS
@testable import WishesWeb

/// AWS Batch's array dependencies through the dispatcher, over the in-memory store, with SQS and
/// ECS faked in-process: each message the dispatcher sends is delivered back by the test, so what
/// waits, what launches and what fails is seen one delivery at a time.
struct ArrayDependencyTests {
    static let logger = Logger(label: "test")
    let objects = MemoryObjectStorage()
    let settings = WishesSettings(bucket: "memory", queueURL: "http://127.0.0.1:9/000000000000/wishes", cluster: "wishes", taskDefinition: "wishes:1")
    let fake = FakeQueueAndTasks()

    var store: WishStore { WishStore(objects: objects, layout: settings.layout) }

    /// A dispatcher on the fake, and the store its wishes are in.
    func withDispatcher(_ body: @Sendable (Dispatcher) async throws -> Void) async throws {
        let objects = objects
        let settings = settings
        try await fake.serve { aws in
            try await body(Dispatcher(aws: aws, store: WishStore(objects: objects, layout: settings.layout), settings: settings))
        }
    }

    func submit(_ json: String) async throws -> WishID {
        let id = WishID.generate(at: Date())
        try await store.create(try WishSpec.parse(json: Array(json.utf8), now: Date()), id: id, createdAt: Date(), updatedAt: Date())
        return id
    }

    func deliver(_ message: WishMessage, to dispatcher: Dispatcher) async throws {
        try await dispatcher.handle(SQSEvent.Record(messageId: "m", receiptHandle: "r", body: message.body), logger: Self.logger)
    }

    /// The STOPPED event of the first attempt of `subject`, as ECS sends it.
    func end(_ subject: WishSubject, exitCode: Int, on dispatcher: Dispatcher) async throws {
        let identity = TaskIdentity(subject: subject, attempt: 1)
        let arn = "arn:aws:ecs:us-east-1:000000000000:task/wishes/\(identity.startedBy)"
        let now = RFC3339.format(Date())
        let change = TaskStateChange(
            taskArn: arn, clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/wishes", taskDefinitionArn: "wishes:1", lastStatus: "STOPPED",
            desiredStatus: "STOPPED", launchType: "FARGATE", capacityProviderName: "FARGATE_SPOT", cpu: "256", memory: "512",
            createdAt: now, startedBy: identity.startedBy, group: "wishes:default", stopCode: "EssentialContainerExited",
            stoppedReason: "Essential container in task exited", startedAt: now, stoppedAt: now,
            containers: [.init(name: DeployedNames.container, exitCode: exitCode, lastStatus: "STOPPED", taskArn: arn)], overrides: nil)
        try await dispatcher.handle(change, logger: Self.logger)
    }

    func status(_ id: WishID, _ index: Int? = nil) async throws -> WishStatus? {
        try await store.statuses.read(WishSubject(id: id, arrayIndex: index))
    }

    func launches(of id: WishID, _ index: Int) -> Int {
        fake.launched.filter { $0.subject == WishSubject(id: id, arrayIndex: index) }.count
    }

    /// The messages sent for child `index` of `id` since the first `from` messages.
    func sent(to id: WishID, _ index: Int, after from: Int = 0) -> [FakeQueueAndTasks.Sent] {
        fake.sent.dropFirst(from).filter { $0.message.id == id && $0.message.arrayIndex == index }
    }

    @Test func aSequentialChildStartsOnlyOnceTheOneBeforeItSucceeded() async throws {
        let id = try await submit(#"{"command":["true"],"arraySize":3,"dependsOn":[{"type":"SEQUENTIAL"}]}"#)
        try await withDispatcher { dispatcher in
            try await deliver(WishMessage(id: id), to: dispatcher)
            #expect(fake.sent.map(\.message) == (0..<3).map { WishMessage(id: id, arrayIndex: $0) }, "every child is queued, as Batch lists them all")
            try await deliver(WishMessage(id: id, arrayIndex: 1), to: dispatcher)
            #expect(launches(of: id, 1) == 0)
            #expect(try await status(id, 1)?.statusReason == "waiting for \(id):0 to succeed")
            let look = try #require(sent(to: id, 1, after: 3).last)
            #expect(look.delaySeconds > 0 && look.message.dependencyChecks == 1, "the child looks again later, as a delayed message")

            try await deliver(WishMessage(id: id, arrayIndex: 0), to: dispatcher)
            #expect(launches(of: id, 0) == 1, "the first child waits for nothing")
            let before = fake.sent.count
            try await end(WishSubject(id: id, arrayIndex: 0), exitCode: 0, on: dispatcher)
            #expect(try await status(id, 0)?.state == .succeeded)
            let wake = try #require(sent(to: id, 1, after: before).last)
            #expect(wake == .init(message: WishMessage(id: id, arrayIndex: 1), delaySeconds: 0), "child 0's end sends child 1 at once")
            // The same event again (EventBridge delivers at least once) wakes nobody twice.
            try await end(WishSubject(id: id, arrayIndex: 0), exitCode: 0, on: dispatcher)
            #expect(sent(to: id, 1, after: before).count == 1)

            try await deliver(wake.message, to: dispatcher)
            #expect(launches(of: id, 1) == 1)
            #expect(launches(of: id, 2) == 0)
            // The delayed look still on its way finds the child launched and launches nothing more.
            try await deliver(look.message, to: dispatcher)
            #expect(launches(of: id, 1) == 1)
        }
    }

    @Test func aFailedSequentialChildFailsEveryLaterOneWithoutLaunchingThem() async throws {
        let id = try await submit(#"{"command":["false"],"arraySize":3,"dependsOn":[{"type":"SEQUENTIAL"}]}"#)
        try await withDispatcher { dispatcher in
            try await deliver(WishMessage(id: id), to: dispatcher)
            for index in [2, 1, 0] { try await deliver(WishMessage(id: id, arrayIndex: index), to: dispatcher) }
            let looks = fake.sent.count
            try await end(WishSubject(id: id, arrayIndex: 0), exitCode: 1, on: dispatcher)
            #expect(try await status(id, 0)?.state == .failed)
            // Child 2's own look comes before child 1 has failed: a failure anywhere before it is enough.
            let lateLook = try #require(sent(to: id, 2).last)
            try await deliver(lateLook.message, to: dispatcher)
            let third = try #require(try await status(id, 2))
            #expect(third.state == .failed)
            #expect(third.statusReason == "dependency \(id):1 cannot succeed: \(id):0 failed before it")
            let wake = try #require(sent(to: id, 1, after: looks).first)
            try await deliver(wake.message, to: dispatcher)
            let second = try #require(try await status(id, 1))
            #expect(second.state == .failed)
            #expect(second.statusReason == "dependency \(id):0 failed", "the reason names the dependency")
            #expect(launches(of: id, 1) == 0 && launches(of: id, 2) == 0)
            let parent = try #require(try await status(id))
            #expect(parent.state == .failed)
            #expect(parent.statusReason == "3 of 3 children failed")
        }
    }

    @Test func anNToNChildWaitsForTheChildOfItsIndexAndFailsWithIt() async throws {
        let first = try await submit(#"{"command":["true"],"arraySize":2}"#)
        let then = try await submit(#"{"command":["true"],"arraySize":2,"dependsOn":[{"jobId":"\#(first)","type":"N_TO_N"}]}"#)
        try await withDispatcher { dispatcher in
            try await deliver(WishMessage(id: then), to: dispatcher)
            #expect(
                try await store.tally(first)?.pairedDependents == [.init(id: then, queue: .default)],
                "the waiting array is registered where each child's end is counted")
            #expect(sent(to: then, 0).count == 1 && sent(to: then, 1).count == 1, "the array fans out: its children wait one by one")
            for index in 0..<2 { try await deliver(WishMessage(id: then, arrayIndex: index), to: dispatcher) }
            #expect(try await status(then, 1)?.statusReason == "waiting for \(first):1 to succeed")

            try await deliver(WishMessage(id: first), to: dispatcher)
            try await deliver(WishMessage(id: first, arrayIndex: 1), to: dispatcher)
            let before = fake.sent.count
            try await end(WishSubject(id: first, arrayIndex: 1), exitCode: 0, on: dispatcher)
            let wake = try #require(sent(to: then, 1, after: before).first)
            #expect(wake.delaySeconds == 0)
            #expect(sent(to: then, 0, after: before).isEmpty, "child 0 waits for child 0 alone")
            try await deliver(wake.message, to: dispatcher)
            #expect(launches(of: then, 1) == 1)
            // Child 0's own look: its dependency has not ended, so it waits on.
            try await deliver(try #require(sent(to: then, 0).last).message, to: dispatcher)
            #expect(launches(of: then, 0) == 0)
            #expect(try await status(then, 0)?.state == .pending)

            try await deliver(WishMessage(id: first, arrayIndex: 0), to: dispatcher)
            let beforeEnd = fake.sent.count
            try await end(WishSubject(id: first, arrayIndex: 0), exitCode: 1, on: dispatcher)
            try await deliver(try #require(sent(to: then, 0, after: beforeEnd).first).message, to: dispatcher)
            let failed = try #require(try await status(then, 0))
            #expect(failed.state == .failed)
            #expect(failed.statusReason == "dependency \(first):0 failed")
            #expect(launches(of: then, 0) == 0)
        }
    }

    /// Through the queue, where the web's check at submit is not made: the wish ends FAILED, saying
    /// why, and no child is queued.
    @Test func anNToNDependencyOfAnotherSizeEndsTheWishFailedAtDispatch() async throws {
        let three = try await submit(#"{"command":["true"],"arraySize":3}"#)
        let single = try await submit(#"{"command":["true"]}"#)
        let mismatched = try await submit(#"{"command":["true"],"arraySize":2,"dependsOn":[{"jobId":"\#(three)","type":"N_TO_N"}]}"#)
        let unpaired = try await submit(#"{"command":["true"],"arraySize":2,"dependsOn":[{"jobId":"\#(single)","type":"N_TO_N"}]}"#)
        try await withDispatcher { dispatcher in
            try await deliver(WishMessage(id: mismatched), to: dispatcher)
            try await deliver(WishMessage(id: unpaired), to: dispatcher)
        }
        let ended = try #require(try await status(mismatched))
        #expect(ended.state == .failed)
        #expect(ended.statusReason == "dependency \(three) is an array of 3, not 2: N_TO_N pairs each child with the child of the same index")
        #expect(try await status(unpaired)?.statusReason?.hasPrefix("dependency \(single) is not an array") == true)
        #expect(fake.sent.isEmpty, "no child of either was queued")
        #expect(try await store.tally(three) == nil, "nor registered to be woken")
    }

    @Test func theWebRefusesAnNToNDependencyOfAnotherSizeNamingTheField() async throws {
        let three = try await submit(#"{"command":["true"],"arraySize":3}"#)
        let book = WishBook(aws: WishStoreTests.unreachable, store: store, settings: settings)
        let plain = try await submit(#"{"command":["true"]}"#)
        let spec = try WishSpec.parse(
            json: Array(#"{"command":["true"],"arraySize":2,"dependsOn":["\#(plain)",{"jobId":"\#(three)","type":"N_TO_N"}]}"#.utf8), now: Date())
        let error = await #expect(throws: WishValidationError.self) { try await book.checkDependencies(spec) }
        let paired = try #require(try await store.spec(three))
        #expect(error?.problems == [.init(field: "dependsOn[1].jobId", rule: try #require(spec.pairingRefusal(three, paired: paired)))])
        #expect(error?.problems.first?.rule.contains("an array of 3, not 2") == true, "the rule names both sizes")
        let fits = try WishSpec.parse(json: Array(#"{"command":["true"],"arraySize":3,"dependsOn":[{"jobId":"\#(three)","type":"N_TO_N"}]}"#.utf8), now: Date())
        try await book.checkDependencies(fits)
    }

    /// An N_TO_N array sent straight to the queue may name one whose own message is still on its
    /// way: the array waits for it to be stored, but not past the unknown-dependency grace.
    @Test func anNToNDependencyThatNeverAppearsEndsItsWaiter() async throws {
        let recent = WishID.generate(at: Date().addingTimeInterval(-60))
        let old = WishID.generate(at: Date().addingTimeInterval(-7_200))
        let waiting = try await submit(#"{"command":["true"],"arraySize":2,"dependsOn":[{"jobId":"\#(recent)","type":"N_TO_N"}]}"#)
        let doomed = try await submit(#"{"command":["true"],"arraySize":2,"dependsOn":[{"jobId":"\#(old)","type":"N_TO_N"}]}"#)
        try await withDispatcher { dispatcher in
            try await deliver(WishMessage(id: waiting), to: dispatcher)
            try await deliver(WishMessage(id: doomed), to: dispatcher)
        }
        #expect(try await status(waiting)?.statusReason == "waiting for \(recent) to be submitted")
        #expect(fake.sent.map(\.message) == [WishMessage(id: waiting)], "it looks again later, and sends no child yet")
        #expect(fake.sent.first?.delaySeconds == DispatcherOptions().recheckSeconds)
        let failed = try #require(try await status(doomed))
        #expect(failed.state == .failed)
        #expect(failed.statusReason?.hasPrefix("dependency \(old) does not exist") == true, "\(failed.statusReason ?? "")")
    }

    @Test func aWishThatDependsOnItselfEndsInsteadOfWaitingForever() async throws {
        let id = WishID.generate(at: Date())
        try await withDispatcher { dispatcher in
            let body = #"{"id":"\#(id)","spec":{"command":["true"],"arraySize":2,"dependsOn":[{"jobId":"\#(id)","type":"N_TO_N"}]}}"#
            try await dispatcher.handle(SQSEvent.Record(messageId: "m", receiptHandle: "r", body: body), logger: Self.logger)
        }
        let status = try #require(try await status(id))
        #expect(status.state == .failed)
        #expect(status.statusReason == "it depends on itself, so it would wait forever")
    }

    /// Wishes sent straight to the queue can name each other (the API takes only ids that exist):
    /// A waits for B, B for C, C for A. Each finds the cycle on its own first look and ends FAILED
    /// naming it, instead of all three waiting forever.
    @Test func wishesThatWaitForEachOtherInACycleEndFailedNamingIt() async throws {
        let (a, b, c) = (WishID.generate(at: Date()), WishID.generate(at: Date()), WishID.generate(at: Date()))
        try await withDispatcher { dispatcher in
            for (id, dependency) in [(a, b), (b, c), (c, a)] {
                let body = #"{"id":"\#(id)","spec":{"command":["true"],"dependsOn":[{"jobId":"\#(dependency)"}]}}"#
                try await dispatcher.handle(SQSEvent.Record(messageId: "m", receiptHandle: "r", body: body), logger: Self.logger)
            }
            // C is the first to see the whole cycle. A and B looked before the rest was stored, so
            // they wait; their next looks (the delayed messages they sent) end them.
            #expect(try await status(c)?.state == .failed)
            try await deliver(WishMessage(id: a), to: dispatcher)
            try await deliver(WishMessage(id: b), to: dispatcher)
        }
        func reason(_ id: WishID) async throws -> String { try await status(id)?.statusReason ?? "" }
        #expect(try await reason(c) == "dependency cycle \(c) → \(a) → \(b) → \(c): none of these wishes can start")
        #expect(try await reason(a) == "dependency cycle \(a) → \(b) → \(c) → \(a): none of these wishes can start")
        #expect(try await reason(b) == "dependency \(c) failed", "B's dependency has ended by then")
        for id in [a, b, c] { #expect(try await status(id)?.state == .failed) }
        #expect(fake.launched.isEmpty)
    }

    /// Two arrays paired N_TO_N with each other would leave every child waiting for its twin.
    @Test func arraysPairedWithEachOtherEndFailedBeforeAnyChildIsQueued() async throws {
        let (a, b) = (WishID.generate(at: Date()), WishID.generate(at: Date()))
        try await withDispatcher { dispatcher in
            for (id, dependency) in [(a, b), (b, a)] {
                let body = #"{"id":"\#(id)","spec":{"command":["true"],"arraySize":2,"dependsOn":[{"jobId":"\#(dependency)","type":"N_TO_N"}]}}"#
                try await dispatcher.handle(SQSEvent.Record(messageId: "m", receiptHandle: "r", body: body), logger: Self.logger)
            }
            try await deliver(WishMessage(id: a), to: dispatcher)
        }
        #expect(try await status(a)?.state == .failed)
        #expect(try await status(b)?.statusReason?.hasPrefix("dependency cycle \(b) → \(a) → \(b)") == true)
        #expect(!fake.sent.contains { $0.message.arrayIndex != nil }, "no child was queued")
    }

    @Test func theWishPageShowsEachDependencyWithItsType() {
        let (paired, whole) = (WishID.generate(at: Date()), WishID.generate(at: Date()))
        let spec = WishSpec(wish: "w", arraySize: 2, dependsOn: [.whole(whole), .nToN(paired), .sequential])
        let page = Pages.detail(
            WishDetail(spec: spec, status: WishStatus(id: WishID.generate(at: Date())), results: [:], children: [:]), output: nil, csrf: "t")
        #expect(page.contains("<p>Depends on: <a href=\"/wishes/\(whole)\">\(whole)</a> · <a href=\"/wishes/\(paired)\">\(paired)</a> <small>N_TO_N"))
        #expect(page.contains("<small>SEQUENTIAL: each child after the one before it</small></p>"))
    }
}
