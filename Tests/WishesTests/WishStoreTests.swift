import Foundation
import Logging
import Testing

@testable import Wishes
@testable import WishesAWS
@testable import WishesWeb

/// Dispatcher, WishBook and AttemptRunner over the in-memory store: their storage paths, and how
/// many round trips each takes. The moto suites check the S3 implementation of the same contract.
///
/// SQS, ECS and STS point at a closed port with one try: a path that reached AWS where it should
/// not fails here at once instead of passing quietly.
struct WishStoreTests {
    let objects = MemoryObjectStorage()
    let settings = WishesSettings(bucket: "memory", queueURL: "http://127.0.0.1:9/000000000000/wishes", cluster: "wishes", taskDefinition: "wishes:1")
    /// The web's environment, say; a dispatcher or a task made below is another, with its own cache.
    let store: WishStore

    init() {
        store = WishStore(objects: objects, layout: settings.layout)
    }

    static let unreachable: AWSClients = {
        let endpoint = Endpoint(scheme: "http", host: "127.0.0.1", port: 9, isAWS: false)
        let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.sqs: endpoint, .s3: endpoint, .ecs: endpoint, .sts: endpoint])
        let client = AWSClient(
            configuration: configuration, httpClient: TestAWS.httpClient,
            credentialProvider: StaticCredentialProvider(TestAWS.credentials), retry: RetryPolicy(maxAttempts: 1))
        return AWSClients(client: client)
    }()

    func dispatcher() -> Dispatcher {
        Dispatcher(aws: Self.unreachable, store: WishStore(objects: objects, layout: settings.layout), settings: settings)
    }

    func stopped(_ identity: TaskIdentity, exitCode: Int, at time: Date = Date()) -> TaskStateChange {
        let arn = "arn:aws:ecs:us-east-1:000000000000:task/wishes/\(identity.startedBy)"
        return TaskStateChange(
            taskArn: arn, clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/wishes", taskDefinitionArn: "wishes:1", lastStatus: "STOPPED",
            desiredStatus: "STOPPED", launchType: "FARGATE", capacityProviderName: "FARGATE", cpu: "256", memory: "512",
            createdAt: RFC3339.format(time), startedBy: identity.startedBy, group: "wishes:default", stopCode: "EssentialContainerExited",
            stoppedReason: "Essential container in task exited", startedAt: RFC3339.format(time), stoppedAt: RFC3339.format(time),
            containers: [.init(name: DeployedNames.container, exitCode: exitCode, lastStatus: "STOPPED", taskArn: arn)], overrides: nil)
    }

    // MARK: Submit

    @Test func aNewWishIsWrittenInOneParallelRoundOfPutsAndNoRead() async throws {
        let id = WishID.generate(at: Date())
        let spec = WishSpec(wish: "", command: ["env"], environment: [.init(name: "TOKEN", value: "s3cret")])
        let status = try await store.create(spec, id: id, createdAt: Date(), updatedAt: Date())
        #expect(status.state == .submitted)
        #expect(objects.calls == ["put": 4], "secrets, spec, status and index entry, with no GET for the new id")
        #expect(objects.isSensitive(settings.layout.secrets(id)), "the values go under the deployment's key")
        #expect(!objects.isSensitive(settings.layout.spec(id)))
        let stored = try #require(try await objects.get(settings.layout.spec(id)))
        #expect(!String(decoding: stored.body, as: UTF8.self).contains("s3cret"), "the spec holds names, not values")
        #expect(try await store.secrets(id) == ["TOKEN": "s3cret"])
    }

    @Test func aSubmitWhoseQueueCannotBeReachedEndsTheWishFailedNotQueued() async throws {
        let book = WishBook(aws: Self.unreachable, store: store, settings: settings)
        let error = await #expect(throws: WishBook.SubmitError.self) { _ = try await book.submit(WishSpec(wish: "a pony")) }
        guard case .notQueued(let id, _)? = error else {
            Issue.record("expected notQueued, got \(String(describing: error))")
            return
        }
        let status = try #require(try await store.statuses.read(WishSubject(id: id)))
        #expect(status.state == .failed)
        #expect(status.statusReason?.hasPrefix("not queued") == true, "the reason says why nothing will run it: \(status.statusReason ?? "")")
    }

    @Test func aWishWhoseWritesFailAreTakenBackSoNoneLingersInTheList() async throws {
        let failing = FailingPuts(objects, failing: "status.json")
        let store = WishStore(objects: failing, layout: settings.layout)
        let id = WishID.generate(at: Date())
        await #expect(throws: FailingPuts.Refused.self) { try await store.create(WishSpec(wish: "x"), id: id, createdAt: Date(), updatedAt: Date()) }
        #expect(objects.keys.isEmpty, "left behind: \(objects.keys)")
    }

    // MARK: The page

    @Test func theDetailReadsEveryAttemptsResultAndThePageOnlyTheOutputsTail() async throws {
        let id = WishID.generate(at: Date())
        try await store.create(WishSpec(wish: "", command: ["yes"], attempts: 3), id: id, createdAt: Date(), updatedAt: Date())
        for number in 1...3 {
            let identity = TaskIdentity(subject: WishSubject(id: id), attempt: number)
            try await store.putResult(
                AttemptResult(
                    outcome: .failed, exitCode: number, reason: "exit code \(number)", startedAt: Date(), stoppedAt: Date(),
                    outputBytes: 0, outputTruncated: false), of: identity)
            try await store.statuses.merge(WishStatus(id: id, updatedAt: Date(), attempts: [AttemptStatus(number: number, state: .failed, exitCode: number)]))
        }
        let output = Array(repeating: UInt8(ascii: "y"), count: 1 << 20) + Array("the end\n".utf8)
        try await store.putOutput(output, of: TaskIdentity(subject: WishSubject(id: id), attempt: 3))
        let book = WishBook(aws: Self.unreachable, store: WishStore(objects: objects, layout: settings.layout), settings: settings)
        objects.resetCalls()
        let detail = try #require(try await book.detail(id))
        #expect(detail.results.keys.sorted() == [1, 2, 3])
        #expect(detail.results[2]?.reason == "exit code 2")
        #expect(objects.calls == ["get": 5], "spec, status and three results: \(objects.calls)")
        objects.resetCalls()
        let tail = try #require(try await book.outputTail(id, attempt: 3, bytes: 8192))
        #expect(tail.tail.count == 8192)
        #expect(tail.size == output.count)
        #expect(String(decoding: tail.tail.suffix(8), as: UTF8.self) == "the end\n")
        #expect(objects.calls == ["tail": 1])
    }

    @Test func anEmptyOutputHasAnEmptyTailAndAMissingOneNone() async throws {
        let identity = TaskIdentity(subject: WishSubject(id: WishID.generate(at: Date())), attempt: 1)
        #expect(try await store.outputTail(identity, bytes: 10) == nil)
        try await store.putOutput([], of: identity)
        #expect(try await store.outputTail(identity, bytes: 10)?.body == [])
    }

    @Test func theListPagesNewestFirstAcrossStoragePages() async throws {
        let objects = MemoryObjectStorage(pageSize: 3)
        let store = WishStore(objects: objects, layout: settings.layout)
        let start = Date()
        var ids: [WishID] = []
        for offset in 0..<8 {
            let id = WishID.generate(at: start.addingTimeInterval(Double(offset)))
            ids.append(id)
            try await store.create(WishSpec(wish: "wish \(offset)"), id: id, createdAt: id.date, updatedAt: id.date)
        }
        let book = WishBook(aws: Self.unreachable, store: store, settings: settings)
        let first = try await book.list(limit: 5, after: nil, state: nil)
        #expect(first.wishes.map(\.status.id) == Array(ids.reversed().prefix(5)))
        let second = try await book.list(limit: 5, after: first.next, state: nil)
        #expect(second.wishes.map(\.status.id) == Array(ids.reversed().dropFirst(5)))
        #expect(second.next == nil)
    }

    // MARK: Dispatch

    @Test func aStoppedTasksResultDecidesItsWishInAFewRoundTrips() async throws {
        let id = WishID.generate(at: Date())
        try await store.create(WishSpec(wish: "", command: ["false"]), id: id, createdAt: Date(), updatedAt: Date())
        let identity = TaskIdentity(subject: WishSubject(id: id), attempt: 1)
        try await store.markInFlight(identity, taskArn: "arn:task")
        try await store.putResult(
            AttemptResult(
                outcome: .timedOut, exitCode: 137, reason: "timed out after 5 s", startedAt: Date(), stoppedAt: Date(),
                outputBytes: 0, outputTruncated: false), of: identity)
        // A dispatcher of its own: a fresh environment, whose spec cache is cold.
        let dispatcher = Dispatcher(aws: Self.unreachable, store: WishStore(objects: objects, layout: settings.layout), settings: settings)
        let event = stopped(identity, exitCode: 137)
        objects.resetCalls()
        try await dispatcher.handle(event, logger: Logger(label: "test"))
        let status = try #require(try await store.statuses.read(identity.subject))
        #expect(status.state == .failed)
        #expect(status.statusReason == "attempt 1 of 1: timed out after 5 s", "the task's result names the reason")
        #expect(status.attempts.first?.settled == true)
        #expect(try await objects.get(settings.layout.inFlight(identity)) == nil, "settled attempts leave the sweep's list")
        #expect(try await store.secrets(id).isEmpty)
        objects.resetCalls()
        // The same event again (EventBridge delivers at least once) changes nothing.
        try await dispatcher.handle(event, logger: Logger(label: "test"))
        #expect(objects.calls["put", default: 0] == 0, "a repeated event writes nothing: \(objects.calls)")
        #expect(try await store.statuses.read(identity.subject)?.updatedAt == status.updatedAt)
    }

    @Test func eachFinishedChildCostsOneReadAndOneWriteOfTheTallyWhateverTheArraysSize() async throws {
        let id = WishID.generate(at: Date())
        let size = 2_000
        try await store.create(WishSpec(wish: "", command: ["true"], arraySize: size), id: id, createdAt: Date(), updatedAt: Date())
        let dispatcher = dispatcher()
        objects.resetCalls()
        for index in 0..<(size - 1) {
            try await dispatcher.childFinished(id, index: index, state: index == 7 ? .failed : .succeeded, logger: Logger(label: "test"))
        }
        // The parent's spec once (this environment's cache was cold), then the tally, once per child.
        #expect(objects.calls == ["get": size, "put": size - 1], "one GET and one PUT of the tally per child: \(objects.calls)")
        #expect(try await store.statuses.read(WishSubject(id: id))?.isFinal != true, "one child is still running")
        // A child reported twice (its STOPPED event came again) is counted once.
        try await dispatcher.childFinished(id, index: 3, state: .succeeded, logger: Logger(label: "test"))
        #expect(try await store.statuses.read(WishSubject(id: id))?.isFinal != true)
        try await dispatcher.childFinished(id, index: size - 1, state: .succeeded, logger: Logger(label: "test"))
        let parent = try #require(try await store.statuses.read(WishSubject(id: id)))
        #expect(parent.state == .failed)
        #expect(parent.statusReason == "1 of \(size) children failed")
    }

    @Test func childrenEndingAtOnceAreEachCountedOnce() async throws {
        let id = WishID.generate(at: Date())
        let size = 64
        try await store.create(WishSpec(wish: "", command: ["true"], arraySize: size), id: id, createdAt: Date(), updatedAt: Date())
        let dispatcher = dispatcher()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<size {
                group.addTask { try await dispatcher.childFinished(id, index: index, state: .succeeded, logger: Logger(label: "test")) }
            }
            try await group.waitForAll()
        }
        let tally = try #require(try await store.tally(id))
        #expect(tally.succeededCount == size)
        #expect(try await store.statuses.read(WishSubject(id: id))?.state == .succeeded)
    }

    @Test func aChildReadsItsParentsSpecOncePerEnvironment() async throws {
        let id = WishID.generate(at: Date())
        try await store.create(WishSpec(wish: "", command: ["true"], arraySize: 10), id: id, createdAt: Date(), updatedAt: Date())
        let cold = WishStore(objects: objects, layout: settings.layout)
        objects.resetCalls()
        for _ in 0..<10 { _ = try await cold.spec(id) }
        #expect(objects.calls == ["get": 1])
    }

    @Test func theLaunchPassesTheSpecSoTheTaskNeedNotReadIt() throws {
        let identity = TaskIdentity(subject: WishSubject(id: WishID.generate(at: Date())), attempt: 1)
        let spec = WishSpec(wish: "a pony", command: ["echo", "hi"], environment: [.init(name: "TOKEN", value: "s3cret")])
        let input = try dispatcher().runTaskInput(identity, spec: spec)
        let environment = input.overrides?.containerOverrides?.first?.environment ?? []
        let passed = try #require(environment.first { $0.name == "WISHES_SPEC" }?.value)
        #expect(!passed.contains("s3cret"), "values of the environment never ride in RunTask's overrides")
        let options = try AttemptOptions.fromEnvironment(Dictionary(uniqueKeysWithValues: environment.map { ($0.name, $0.value) }))
        #expect(options.spec == spec.redacted)
        // Too large for ECS's 8 KiB of overrides: the task reads spec.json instead.
        let large = WishSpec(wish: String(repeating: "w", count: 7_000))
        let largeInput = try dispatcher().runTaskInput(identity, spec: large)
        #expect(largeInput.overrides?.containerOverrides?.first?.environment?.contains { $0.name == "WISHES_SPEC" } == false)
        #expect(throws: SettingsError.self) {
            try AttemptOptions.fromEnvironment(["WISH_ID": identity.subject.id.rawValue, "WISH_ATTEMPT": "1", "WISHES_SPEC": "{"])
        }
    }

    // MARK: The task

    func runner(_ options: AttemptOptions, environment: [String: String] = ["PATH": "/usr/bin:/bin"]) -> AttemptRunner {
        AttemptRunner(
            aws: Self.unreachable, store: WishStore(objects: objects, layout: settings.layout, specCacheSize: 1), settings: settings,
            options: options, baseEnvironment: environment, logger: Logger(label: "test"))
    }

    @Test func anAttemptGivenItsSpecWritesItsOutcomeOnceAndReadsNothingBack() async throws {
        let id = WishID.generate(at: Date())
        let spec = WishSpec(wish: "a pony")
        try await store.create(spec, id: id, createdAt: Date(), updatedAt: Date())
        var options = AttemptOptions(identity: TaskIdentity(subject: WishSubject(id: id), attempt: 1))
        options.countInterval = .zero
        options.spec = spec.redacted
        objects.resetCalls()
        let code = await runner(options).run()
        #expect(code == 0)
        // RUNNING (a read and a write of the status), then the output and the result: the spec is not read.
        #expect(objects.calls == ["get": 1, "put": 3], "\(objects.calls)")
        let result = try #require(try await store.result(options.identity))
        #expect(result.outcome == .succeeded)
        #expect(result.message == "Wished for \u{201C}a pony\u{201D} and counted to three.")
        #expect(try await store.statuses.read(options.identity.subject)?.attempts.first?.state == .running, "the outcome is the result's alone")
    }

    @Test func anAttemptWithoutItsSpecReadsItAndACommandGetsItsSecrets() async throws {
        let id = WishID.generate(at: Date())
        let spec = WishSpec(wish: "", command: ["sh", "-c", "echo token=$TOKEN; exit 3"], environment: [.init(name: "TOKEN", value: "s3cret")])
        try await store.create(spec, id: id, createdAt: Date(), updatedAt: Date())
        let options = AttemptOptions(identity: TaskIdentity(subject: WishSubject(id: id), attempt: 1))
        objects.resetCalls()
        let code = await runner(options).run()
        #expect(code == 3)
        #expect(objects.calls["get"] == 3, "spec, status and secrets: \(objects.calls)")
        #expect(try await store.output(options.identity).map { String(decoding: $0, as: UTF8.self) } == "token=s3cret\n")
        #expect(try await store.result(options.identity)?.reason == "exit code 3")
    }

    @Test func anAttemptWhoseSpecIsGoneFailsSayingSo() async throws {
        let options = AttemptOptions(identity: TaskIdentity(subject: WishSubject(id: WishID.generate(at: Date())), attempt: 1))
        let code = await runner(options).run()
        #expect(code == 1)
        #expect(try await store.result(options.identity)?.reason == "no spec stored for this wish")
    }
}

/// Memory storage whose puts of one kind of key fail, as an S3 outage or a refusal would.
struct FailingPuts: ObjectStorage {
    struct Refused: Error {}
    let base: MemoryObjectStorage
    let suffix: String

    init(_ base: MemoryObjectStorage, failing suffix: String) {
        self.base = base
        self.suffix = suffix
    }

    func get(_ key: String) async throws -> StoredObject? { try await base.get(key) }
    func tail(_ key: String, bytes: Int) async throws -> StoredObject? { try await base.tail(key, bytes: bytes) }
    func put(_ key: String, _ body: [UInt8], contentType: String, condition: WriteCondition?, sensitive: Bool) async throws -> String? {
        if key.hasSuffix(suffix) { throw Refused() }
        return try await base.put(key, body, contentType: contentType, condition: condition, sensitive: sensitive)
    }
    func delete(_ key: String) async throws { try await base.delete(key) }
    func list(prefix: String, startAfter: String?, continuation: String?, maxKeys: Int?) async throws -> KeyPage {
        try await base.list(prefix: prefix, startAfter: startAfter, continuation: continuation, maxKeys: maxKeys)
    }
}
