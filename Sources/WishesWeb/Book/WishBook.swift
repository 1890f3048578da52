import Crypto
import Wishes
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the web front does with wishes: accept them (record first, then queue), list, read, cancel.
public struct WishBook: Sendable {
    public let aws: AWSClients
    public let settings: WishesSettings
    let clock: any WallClock
    /// Every object of every wish: S3 in AWS and the local cloud, memory in unit tests.
    let store: WishStore
    var statuses: StatusStore { store.statuses }

    public init(aws: AWSClients, settings: WishesSettings, clock: any WallClock = SystemClock()) {
        let objects = S3ObjectStorage(s3: aws.s3, bucket: settings.bucket, sensitiveKeyID: settings.secretsKeyID)
        self.init(aws: aws, store: WishStore(objects: objects, layout: settings.layout), settings: settings, clock: clock)
    }

    /// A book over any store: the in-memory one in unit tests (SQS and ECS stay `aws`'s).
    package init(aws: AWSClients, store: WishStore, settings: WishesSettings, clock: any WallClock = SystemClock()) {
        self.aws = aws
        self.settings = settings
        self.clock = clock
        self.store = store
    }

    var layout: S3Layout { settings.layout }
    var bucket: String { settings.bucket }

    public enum SubmitError: Error, CustomStringConvertible {
        /// The record is written and marked "not queued"; nothing will run it. Retrying the call is safe.
        case notQueued(WishID, cause: AWSClientError)
        /// AWS refused or failed a write before the wish was queued: nothing will run it. Retrying is safe.
        case notRecorded(cause: AWSClientError)
        /// The Idempotency-Key created `first` from another body: answering with that wish would hide
        /// that this request was never made.
        case idempotencyKeyReused(first: WishID)

        public var description: String {
            switch self {
            case .notQueued(let id, let cause): "wish \(id) was recorded but could not be queued (\(cause)); it will not run: submit it again"
            case .notRecorded(let cause): "the wish could not be recorded (\(cause)); it will not run: submit it again"
            case .idempotencyKeyReused(let first):
                "this Idempotency-Key was first used for wish \(first) with a different body: send the same body to get that wish, or a new key for a new wish"
            }
        }

        /// AWS's own error code (`InvalidClientTokenId`, `ExpiredToken`, `AccessDenied`, ...) when AWS answered.
        public var awsErrorCode: String? {
            switch self {
            case .notQueued(_, let cause), .notRecorded(let cause): cause.serviceError?.code
            case .idempotencyKeyReused: nil
            }
        }
    }

    /// Records the wish and queues it. A 2xx answer means queued; a repeated idempotency key with the
    /// same body returns the first wish.
    ///
    /// - Throws: `WishValidationError` when the wish breaks a limit of `settings.limits` or depends on
    ///   a wish that does not exist (nothing is written); `SubmitError` otherwise.
    public func submit(_ spec: WishSpec, idempotencyKey: String? = nil) async throws -> (status: WishStatus, created: Bool) {
        do {
            return try await record(spec, idempotencyKey: idempotencyKey)
        } catch let error as AWSClientError {
            // Refused credentials, a bucket elsewhere, an outage: the caller must learn that nothing will run.
            throw SubmitError.notRecorded(cause: error)
        }
    }

    /// Stores the wish, then claims the key, then queues: a failure before the claim leaves the key
    /// free for the retry, and a claim always names a wish that is stored.
    func record(_ spec: WishSpec, idempotencyKey: String?) async throws -> (status: WishStatus, created: Bool) {
        let claimKey = idempotencyKey.map { layout.idempotency(keyHash: IdempotencyClaim.keyHash($0)) }
        let fingerprint = try idempotencyKey.map { try IdempotencyClaim.fingerprint(key: $0, spec: spec) }
        if let claimKey, let fingerprint, let earlier = try await resolveClaim(claimKey, fingerprint: fingerprint, queue: spec.queue) {
            return earlier
        }
        // Limits and dependencies after the key: a retry of an accepted wish is answered with it even
        // if the limits changed in between.
        let accepted = try settings.limits.apply(to: spec)
        guard let queueURL = settings.queueURL(for: accepted.queue) else { throw SettingsError.missing(["WISHES_QUEUE_URL"]) }
        try await checkDependencies(accepted)
        let now = clock.now
        let id = WishID.generate(at: now)
        var status = try await store.create(accepted, id: id, createdAt: now, updatedAt: now)
        if let claimKey, let fingerprint {
            let claim = IdempotencyClaim(id: id, request: fingerprint, queued: nil)
            if try await !store.objects.putIfAbsent(claimKey, WishJSON.encode(claim)) {
                // A concurrent call with the same key stored its wish and claimed first: ours is
                // never queued, so it is removed rather than left in the list as a wish that never runs.
                await store.discard(id)
                if let earlier = try await resolveClaim(claimKey, fingerprint: fingerprint, queue: spec.queue) { return earlier }
                throw SubmitError.notRecorded(
                    cause: .transport(service: .s3, operation: "GetObject", reason: "the Idempotency-Key's claim vanished while it was read"))
            }
        }
        do {
            try await enqueue(id, queueURL: queueURL)
        } catch {
            let reason = "not queued: \(error)"
            status = try await statuses.merge(WishStatus(id: id, updatedAt: clock.now, final: .init(state: .failed, reason: reason, at: clock.now)))
            // The key is released, so the retry that the 503 asks for makes a wish that runs.
            if let claimKey { try? await store.objects.delete(claimKey) }
            throw SubmitError.notQueued(id, cause: error)
        }
        if let claimKey, let fingerprint {
            // Best effort: without the mark, a retry only sends the message once more, which is harmless.
            let queued = IdempotencyClaim(id: id, request: fingerprint, queued: true)
            _ = try? await store.objects.put(claimKey, WishJSON.encode(queued), contentType: "application/json")
        }
        return (status, true)
    }

    func enqueue(_ id: WishID, queueURL: String) async throws(AWSClientError) {
        _ = try await aws.sqs.sendMessage(queueURL: queueURL, SQS.OutgoingMessage(id: "0", body: WishMessage(id: id).body))
    }

    /// The answer for a key that is already claimed, or nil when it is not (or its wish was never
    /// queued, and the key is free again).
    func resolveClaim(_ claimKey: String, fingerprint: String, queue: WishQueue) async throws -> (status: WishStatus, created: Bool)? {
        guard let object = try await store.objects.get(claimKey), let claim = IdempotencyClaim.parse(object.body) else {
            return nil
        }
        if let request = claim.request, request != fingerprint { throw SubmitError.idempotencyKeyReused(first: claim.id) }
        var stored = try await statuses.read(WishSubject(id: claim.id))
        // Claims written before the wish was stored first: the first call may still be writing.
        for _ in 0..<20 where stored == nil && claim.request == nil {
            try await Task.sleep(for: .milliseconds(100))
            stored = try await statuses.read(WishSubject(id: claim.id))
        }
        guard let status = stored else { return (WishStatus(id: claim.id, createdAt: claim.id.date), false) }
        if status.final?.reason.hasPrefix("not queued") == true {
            // The first call answered 503 and could not release the key: the retry gets a new wish.
            try await store.objects.delete(claimKey)
            return nil
        }
        if claim.queued != true, status.state == .submitted, let queueURL = settings.queueURL(for: queue) {
            // The first call is still going, or died between its claim and its message. Sending the
            // message again is safe: the dispatcher claims each attempt once, so a second message
            // starts no second task.
            do { try await enqueue(claim.id, queueURL: queueURL) } catch { throw SubmitError.notQueued(claim.id, cause: error) }
        }
        return (status, false)
    }

    /// Every `dependsOn` id must name a stored wish: one that does not exist would be waited for
    /// forever. An `N_TO_N` one must be an array of this one's size, which its spec (the same one
    /// read as the check for a plain id) tells.
    func checkDependencies(_ spec: WishSpec) async throws {
        let named = (spec.dependsOn ?? []).enumerated().compactMap { index, dependency in dependency.id.map { (index, $0, dependency.type) } }
        guard !named.isEmpty else { return }
        let found = await concurrentMap(named.map(\.1), limit: 8) { id -> Result<WishSpec?, any Error> in
            do { return .success(try await store.spec(id)) } catch { return .failure(error) }
        }
        var problems: [WishValidationError.Problem] = []
        for ((index, id, type), answer) in zip(named, found) {
            guard let dependency = try answer.get() else {
                problems.append(.init(field: "dependsOn[\(index)]", rule: "no wish \(id): a dependency must be submitted before the wish that waits for it"))
                continue
            }
            if type == .nToN, let refusal = spec.pairingRefusal(id, paired: dependency) {
                problems.append(.init(field: "dependsOn[\(index)].jobId", rule: refusal))
            }
        }
        if !problems.isEmpty { throw WishValidationError(problems: problems) }
    }

    /// Wishes looked at per call when filtering by state: a filter must not read every wish ever made.
    public static let maxScan = 400

    /// One page of wishes, newest first; `after` is the `next` of the previous page.
    ///
    /// A filtered page may hold fewer than `limit` wishes, and even none, with a `next` to go on
    /// from: the scan stops after `maxScan` wishes, as DynamoDB's filtered queries do.
    public func list(limit: Int, after: WishID?, state: WishState?) async throws -> (wishes: [WishSummary], next: WishID?) {
        var found: [WishSummary] = []
        var token: String?
        var startAfter = after
        var examined = 0
        var lastExamined: WishID?
        repeat {
            let page = try await store.index(after: token == nil ? startAfter : nil, continuation: token, maxKeys: state == nil ? limit + 1 : 100)
            startAfter = nil
            let ids = page.ids
            let summaries = await concurrentMap(ids, limit: 16) { id in await summary(id) }
            for (id, summary) in zip(ids, summaries) {
                examined += 1
                lastExamined = id
                guard let summary, state == nil || summary.status.state == state else { continue }
                found.append(summary)
                if found.count > limit { break }
            }
            token = page.continuation
        } while token != nil && found.count <= limit && examined < Self.maxScan
        if found.count > limit { return (Array(found.prefix(limit)), found[limit - 1].status.id) }
        return (found, token == nil ? nil : lastExamined)
    }

    func summary(_ id: WishID) async -> WishSummary? {
        async let spec = try? store.spec(id)
        async let status = try? statuses.read(WishSubject(id: id))
        guard let decoded = await spec ?? nil else { return nil }
        return WishSummary(spec: decoded, status: await status ?? nil ?? WishStatus(id: id, createdAt: id.date))
    }

    /// Everything the detail page shows.
    public func detail(_ id: WishID) async throws -> WishDetail? {
        async let specRead = store.spec(id)
        let stored = try await statuses.read(WishSubject(id: id))
        let found = try await specRead
        // A wish sent straight to the queue with an invalid spec has a status (FAILED, with the reason) but no spec.
        guard found != nil || stored != nil else { return nil }
        let spec = found ?? WishSpec(wish: "")
        var status = stored ?? WishStatus(id: id, createdAt: id.date)
        // Every attempt's result at once: a wish retried five times is one round trip, not five.
        let numbers = status.attempts.map(\.number)
        let read = await concurrentMap(numbers, limit: 8) { number in
            try? await store.result(TaskIdentity(subject: WishSubject(id: id), attempt: number))
        }
        var results: [Int: AttemptResult] = [:]
        for (number, result) in zip(numbers, read) { results[number] = result ?? nil }
        var children: [WishState: Int] = [:]
        if let size = spec.arraySize {
            // One listing finds the children that have a status; only those are read. A child the
            // dispatcher has not reached yet has none and counts as SUBMITTED.
            let shown = min(size, Self.childrenShown)
            let present = try await store.childrenWithStatus(id, below: shown)
            let childStatuses = await concurrentMap(present, limit: 16) { index in
                (try? await statuses.read(WishSubject(id: id, arrayIndex: index)))?.state ?? .submitted
            }
            for state in childStatuses { children[state, default: 0] += 1 }
            if shown > present.count { children[.submitted, default: 0] += shown - present.count }
            if status.final == nil, status.attempts.isEmpty {
                let running = children.filter { $0.key >= .runnable && !$0.key.isFinal }.values.reduce(0, +)
                if running > 0 || (children[.succeeded] ?? 0) > 0 {
                    status.pending = .init(state: .pending, reason: "array: \(children[.succeeded] ?? 0) of \(size) succeeded", at: clock.now)
                }
            }
        }
        return WishDetail(spec: spec, status: status, results: results, children: children)
    }

    /// One array child: the parent's spec (a child runs it), the child's status and its attempts'
    /// results. Nil when the wish is no array or has no such index.
    public func child(_ id: WishID, index: Int) async throws -> WishDetail? {
        guard let spec = try await store.spec(id), let size = spec.arraySize, (0..<size).contains(index) else { return nil }
        let subject = WishSubject(id: id, arrayIndex: index)
        // A child the dispatcher has not reached yet has no status: it is SUBMITTED with its parent.
        let status = try await statuses.read(subject) ?? WishStatus(id: id, arrayIndex: index, createdAt: id.date)
        let numbers = status.attempts.map(\.number)
        let read = await concurrentMap(numbers, limit: 8) { number in try? await store.result(TaskIdentity(subject: subject, attempt: number)) }
        var results: [Int: AttemptResult] = [:]
        for (number, result) in zip(numbers, read) { results[number] = result ?? nil }
        return WishDetail(spec: spec, status: status, results: results, children: [:])
    }

    /// A child's kept output (its last attempt by default), or its tail.
    public func childOutput(_ id: WishID, index: Int, attempt: Int?, tailBytes: Int? = nil) async throws -> (bytes: [UInt8], size: Int)? {
        let subject = WishSubject(id: id, arrayIndex: index)
        var number = attempt
        if number == nil { number = try await statuses.read(subject)?.attempts.last?.number }
        guard let number else { return nil }
        let identity = TaskIdentity(subject: subject, attempt: number)
        if let tailBytes { return try await store.outputTail(identity, bytes: tailBytes).map { ($0.body, $0.size) } }
        return try await store.output(identity).map { ($0, $0.count) }
    }

    /// How many array children the detail summarises (the first ones by index).
    static let childrenShown = 1000

    /// The kept output of an attempt (the last one by default), and whether it is complete.
    public func output(_ id: WishID, attempt: Int?) async throws -> [UInt8]? {
        guard let number = try await attemptNumber(id, attempt) else { return nil }
        return try await store.output(TaskIdentity(subject: WishSubject(id: id), attempt: number))
    }

    /// The last `bytes` of an attempt's output (the last attempt by default), with the whole
    /// output's size: what the page shows, read as a range instead of the whole megabyte.
    public func outputTail(_ id: WishID, attempt: Int?, bytes: Int) async throws -> (tail: [UInt8], size: Int)? {
        guard let number = try await attemptNumber(id, attempt) else { return nil }
        return try await store.outputTail(TaskIdentity(subject: WishSubject(id: id), attempt: number), bytes: bytes).map { ($0.body, $0.size) }
    }

    /// The attempt asked for, or the wish's last one.
    func attemptNumber(_ id: WishID, _ attempt: Int?) async throws -> Int? {
        if let attempt { return attempt }
        return try await statuses.read(WishSubject(id: id))?.attempts.last?.number
    }

    /// Cancels: a waiting wish ends FAILED "cancelled"; a running task is stopped. Returns the spec it
    /// read and the status after the cancel, so the caller needs no second read.
    public func cancel(_ id: WishID) async throws -> (spec: WishSpec, status: WishStatus)? {
        guard let spec = try await store.spec(id) else { return nil }
        let now = clock.now
        var status = try await statuses.merge(WishStatus(id: id, updatedAt: now, cancelRequestedAt: now))
        if status.isFinal {
            if status.final?.reason == "cancelled", status.callback == nil, spec.callbackUrl != nil, let queueURL = settings.queueURL(for: spec.queue) {
                _ = try await aws.sqs.sendMessage(queueURL: queueURL, SQS.OutgoingMessage(id: "0", body: WishMessage(id: id, ended: true).body))
            }
            return (spec, status)
        }
        if let last = status.attempts.last, last.state >= .runnable, !last.state.isFinal, let arn = last.taskArn {
            try await aws.ecs.stopTask(cluster: settings.cluster, task: arn, reason: "cancelled by a user")
        } else {
            status = try await statuses.merge(WishStatus(id: id, updatedAt: now, final: .init(state: .failed, reason: "cancelled", at: now)))
            // The dispatcher does what follows an end (the callback, the dependents, the secrets),
            // as it does for the ends it decides; a failure here makes the cancel answer an error, and
            // a repeated cancel sends again.
            guard let queueURL = settings.queueURL(for: spec.queue) else { throw SettingsError.missing(["WISHES_QUEUE_URL"]) }
            _ = try await aws.sqs.sendMessage(queueURL: queueURL, SQS.OutgoingMessage(id: "0", body: WishMessage(id: id, ended: true).body))
        }
        return (spec, status)
    }
}

/// A wish as the list shows it.
public struct WishSummary: Sendable {
    public var spec: WishSpec
    public var status: WishStatus
}

/// A wish as the detail page and the API's describe show it.
public struct WishDetail: Sendable {
    public var spec: WishSpec
    public var status: WishStatus
    public var results: [Int: AttemptResult]
    public var children: [WishState: Int]
}
