import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Dispatcher {
    /// Handles a batch, records concurrently, and names the records that must come back.
    package func handle(_ event: SQSEvent, deadline: Date, logger: Logger) async -> SQSBatchResponse {
        let outcomes = await concurrentMap(event.Records, limit: options.maxConcurrentRecords) { record -> String? in
            var logger = logger
            logger[metadataKey: "messageId"] = "\(record.messageId)"
            let left = deadline.timeIntervalSince(clock.now) - options.deadlineMarginSeconds
            guard left > 0 else {
                logger.warning("record left for later", metadata: ["error": "\(DispatchError.outOfTime)"])
                return record.messageId
            }
            do {
                // The record races the deadline (minus a margin for the answer), and no AWS call it
                // makes waits longer than the time left.
                let cutoff = ContinuousClock.now + .milliseconds(Int64(left * 1000))
                let logger = logger
                try await AWSClient.$deadline.withValue(cutoff) {
                    try await withDeadline(seconds: left, onTimeout: DispatchError.outOfTime) { try await handle(record, logger: logger) }
                }
                return nil
            } catch DispatchError.outOfTime {
                logger.warning("record stopped at the deadline; it will come back", metadata: ["receiveCount": "\(record.receiveCount)"])
                return record.messageId
            } catch {
                // The last receive ends the wish with the reason, rather than leave it to the dead-letter queue.
                if record.receiveCount >= DeployedNames.maxReceiveCount, await giveUp(record, error: error, logger: logger) { return nil }
                logger.warning("record will be retried", metadata: ["error": "\(error)", "receiveCount": "\(record.receiveCount)"])
                return record.messageId
            }
        }
        return SQSBatchResponse(failedMessageIDs: outcomes.compactMap { $0 })
    }

    /// Ends the wish of a message that failed its last receive; false when even that fails (the
    /// message then goes to the dead-letter queue, which this function reads too).
    func giveUp(_ record: SQSEvent.Record, error: any Error, logger: Logger) async -> Bool {
        guard let message = try? WishJSON.decode(WishMessage.self, from: Array(record.body.utf8)) else { return false }
        // A callback's or an end's message belongs to a wish that has ended already: it only goes.
        if message.callback != nil || message.ended == true {
            logger.error("message dropped after its last receive", metadata: ["error": "\(error)", "wish": "\(message.subject)"])
            return true
        }
        do {
            try await finish(message.subject, .failed, reason: "not launched after \(record.receiveCount) tries: \(Self.describe(error))", logger: logger)
            return true
        } catch {
            logger.error("cannot end the wish of a message on its last receive", metadata: ["error": "\(error)", "wish": "\(message.subject)"])
            return false
        }
    }

    /// One record. Returns normally when the message may be deleted; throws when it must come back.
    func handle(_ record: SQSEvent.Record, logger: Logger) async throws {
        switch record.queueName {
        case let name? where name.hasSuffix(DeployedNames.deadLetterSuffix):
            return try await deadLettered(record, logger: logger)
        case DeployedNames.failedEventsQueue?:
            return try await failedEvent(record, logger: logger)
        default: break
        }
        let message: WishMessage
        do {
            message = try WishJSON.decode(WishMessage.self, from: Array(record.body.utf8))
        } catch {
            // A poison message is dropped, not looped; its wish, if it names one, is marked FAILED.
            let reason = "invalid message: \(Self.describe(error))"
            if let id = Self.idIn(record.body) { try await finish(WishSubject(id: id), .failed, reason: reason, logger: logger) }
            logger.error("message dropped", metadata: ["reason": "\(reason)"])
            return
        }
        var logger = logger
        logger[metadataKey: "wish"] = "\(message.subject)"
        if let delivery = message.callback { return try await deliverCallback(message.id, delivery, logger: logger) }
        if message.ended == true {
            if let status = try await statuses.read(message.subject), status.isFinal { try await afterFinal(status, logger: logger) }
            return
        }
        // The spec, the status and, for a child, its parent's status are read together: a
        // cancelled (or ended) array launches no more children. A child's spec is its parent's,
        // which this environment has most likely read already (`WishStore`'s cache).
        async let parentRead = message.arrayIndex == nil ? nil : statuses.read(WishSubject(id: message.id))
        async let snapshotRead = statuses.snapshot(message.subject)
        guard let spec = try await spec(for: message, logger: logger) else { return }
        let snapshot = try await snapshotRead
        let status = snapshot.status
        if let parent = try await parentRead, parent.cancelRequestedAt != nil || parent.isFinal, status?.isFinal != true {
            return try await finish(message.subject, .failed, reason: parent.cancelRequestedAt != nil ? "cancelled" : "its array ended", logger: logger)
        }
        // What follows an end is repeated, not skipped: the delivery that ended the wish may have
        // stopped before it woke the dependents or queued the callback. Every step of it is idempotent.
        if let status, status.isFinal { return try await afterFinal(status, logger: logger) }
        if status?.cancelRequestedAt != nil {
            return try await finish(message.subject, .failed, reason: "cancelled", logger: logger)
        }
        let now = clock.now
        if let notBefore = spec.notBefore, notBefore > now {
            return try await waitUntil(notBefore, message: message, spec: spec, logger: logger)
        }
        if message.arrayIndex == nil, spec.dependsOn?.contains(where: { $0.id == message.id }) == true {
            return try await finish(message.subject, .failed, reason: "it depends on itself, so it would wait forever", logger: logger)
        }
        // An N_TO_N array of another size can never pair its children: that fails before anything waits.
        if message.arrayIndex == nil, !spec.pairedDependencies.isEmpty {
            switch try await pairedArraysState(spec) {
            case .failed(let reason): return try await finish(message.subject, .failed, reason: reason, logger: logger)
            case .waiting(let reason): return try await wait(message, spec: spec, seconds: options.recheckSeconds, reason: reason)
            case .ready:
                // Paired children would wait for each other forever.
                for id in spec.pairedDependencies {
                    if try await failIfCycle(message, waitingFor: id, logger: logger) { return }
                }
            }
        }
        let wholeDependencies = message.arrayIndex == nil ? spec.wholeDependencies : []
        if !wholeDependencies.isEmpty {
            switch try await dependencyState(wholeDependencies) {
            case .failed(let id):
                return try await finish(message.subject, .failed, reason: "dependency \(id) failed", logger: logger)
            case .missing(let id):
                let reason = "dependency \(id) does not exist: no wish with that id was submitted within \(options.unknownDependencyGraceSeconds) s of its time"
                return try await finish(message.subject, .failed, reason: reason, logger: logger)
            case .waiting(let id):
                if try await failIfCycle(message, waitingFor: id, logger: logger) { return }
                // Registered first, then checked again: a dependency that ends in between is not missed.
                try await store.registerDependent(of: id, waiter: message.id, queue: spec.queue)
                let ended = try await statuses.read(WishSubject(id: id))?.isFinal == true
                return try await wait(message, spec: spec, seconds: ended ? 0 : options.recheckSeconds, reason: "waiting for \(id) to succeed")
            case .ready: break
            }
        }
        if let index = message.arrayIndex, spec.childrenWait {
            switch try await childDependencyState(spec, of: message.id, index: index) {
            case .failed(let reason): return try await finish(message.subject, .failed, reason: reason, logger: logger)
            case .waiting(let dependency): return try await waitForChild(message, spec: spec, on: dependency)
            case .ready: break
            }
        }
        if let size = spec.arraySize, message.arrayIndex == nil {
            // Before any child is sent, so no child's first look can miss a wake (`wakeChildDependents`).
            if (message.fanOutFrom ?? 0) == 0 { try await registerWithPairedArrays(spec, waiter: message.id, size: size) }
            return try await fanOut(message, spec: spec, size: size, logger: logger)
        }
        // A delivery of an attempt already launched goes straight to `launch`, which drops it.
        let identity = TaskIdentity(subject: message.subject, attempt: message.attempt ?? 1)
        let launched = status?.attempts.contains { $0.number == identity.attempt && $0.taskArn != nil } == true
        if !launched, let held = try await admission(for: spec, message: message, logger: logger) {
            return try await hold(message, spec: spec, seen: snapshot, held, logger: logger)
        }
        do {
            try await launch(message, spec: spec, seen: snapshot, logger: logger)
        } catch DispatchError.noCapacity(let reason, let pool) {
            if spec.queue.isASAP { await noteAsapRefused(pool, logger: logger) }
            try await releaseRoom(of: identity, queue: spec.queue)
            try await backOff(message, spec: spec, reason: reason, logger: logger)
        }
    }

    /// A launch refused for capacity or throttled waits and comes back as a new message (a delayed
    /// send, not a failed receive: the queue's receive limit is for errors, and Spot capacity can be
    /// short for an hour). Spot queues move to on-demand Fargate after a few refusals; after
    /// `maxLaunchTries` the wish ends FAILED with the reason.
    func backOff(_ message: WishMessage, spec: WishSpec, reason: String, logger: Logger) async throws {
        let tries = (message.launchTries ?? 0) + 1
        guard tries < options.maxLaunchTries else {
            return try await finish(message.subject, .failed, reason: "no capacity after \(tries) launches over the wait: \(reason)", logger: logger)
        }
        var again = message
        again.spec = nil
        again.launchTries = tries
        if spec.queue.capacityProvider != "FARGATE", tries >= options.onDemandAfterCapacityFailures, again.onDemand != true {
            again.onDemand = true
            logger.warning("Spot capacity refused repeatedly; this attempt moves to on-demand Fargate", metadata: ["tries": "\(tries)"])
        }
        // The claim names the next try's token first, so this message, if it comes again, launches nothing.
        let identity = TaskIdentity(subject: message.subject, attempt: message.attempt ?? 1)
        try await store.reclaim(identity, LaunchRecord(clientToken: Self.clientToken(identity, launchTry: tries), claimedAt: clock.now))
        // asap tries again sooner: while it is refused the default queues hold (see `admission`), so
        // the capacity that frees up is asap's to take.
        let base = spec.queue.isASAP ? max(1, options.capacityBackoffSeconds / 6) : options.capacityBackoffSeconds
        let delay = Backoff.seconds(base: base, cap: Self.sqsMaxDelaySeconds, jitter: .equal, afterFailures: tries)
        let now = clock.now
        try await statuses.merge(
            WishStatus(
                id: message.id, arrayIndex: message.arrayIndex, updatedAt: now,
                pending: .init(state: .pending, reason: "waiting for capacity (try \(tries)): \(reason)", at: now)))
        try await enqueue(again, queue: spec.queue, delaySeconds: delay)
        logger.warning("launch refused for capacity; trying again later", metadata: ["tries": "\(tries)", "delaySeconds": "\(delay)", "reason": "\(reason)"])
    }

    /// The spec a message runs: inline (validated and stored here) or the stored one.
    func spec(for message: WishMessage, logger: Logger) async throws -> WishSpec? {
        if case .object(let object)? = message.spec {
            let spec: WishSpec
            do {
                // The stack's limits hold here too, and the default timeout is stored with the spec.
                spec = try await settings.limits.apply(to: store.definitions.wishSpec(from: object, now: clock.now))
            } catch let error as WishValidationError {
                try await finish(message.subject, .failed, reason: "\(error)", logger: logger)
                return nil
            }
            // Stored as the web stores a submitted wish, by the same code.
            if try await !store.exists(message.id) { try await store.create(spec, id: message.id, createdAt: message.id.date, updatedAt: clock.now) }
            return spec
        }
        if message.spec != nil {
            try await finish(message.subject, .failed, reason: "invalid message: spec must be a JSON object", logger: logger)
            return nil
        }
        guard let spec = try await storedSpec(message.id) else {
            try await finish(
                message.subject, .failed, reason: "no stored spec for this wish: it was not submitted through the API and its message carries none",
                logger: logger)
            return nil
        }
        return spec
    }

    /// Marks the wish PENDING and sends the message again for later; the old one is then deleted.
    func wait(_ message: WishMessage, spec: WishSpec, seconds: Int, reason: String) async throws {
        let now = clock.now
        try await statuses.merge(
            WishStatus(id: message.id, arrayIndex: message.arrayIndex, updatedAt: now, pending: .init(state: .pending, reason: reason, at: now)))
        var again = message
        again.spec = nil
        try await enqueue(again, queue: spec.queue, delaySeconds: seconds)
    }

    enum DependencyState {
        case ready
        case waiting(WishID)
        case failed(WishID)
        case missing(WishID)
    }

    /// The web refuses an unknown dependency at submit; a wish sent straight to the queue may name
    /// one whose own message is still on its way, so it waits for it, but not forever: an id is made
    /// when its wish is, and one that nothing has stored long after its time never will be.
    func dependencyState(_ ids: [WishID]) async throws -> DependencyState {
        for id in ids {
            let status = try await statuses.read(WishSubject(id: id))
            if status == nil, clock.now.timeIntervalSince(id.date) > Double(options.unknownDependencyGraceSeconds),
                try await storedSpec(id) == nil
            {
                return .missing(id)
            }
            if status?.state == .failed { return .failed(id) }
            if status?.state != .succeeded { return .waiting(id) }
        }
        return .ready
    }

    /// Enqueues a chunk of children and a continuation for the rest, so no invocation sends 10,000 messages.
    func fanOut(_ message: WishMessage, spec: WishSpec, size: Int, logger: Logger) async throws {
        let from = message.fanOutFrom ?? 0
        let to = min(size, from + options.fanOutChunk)
        if from == 0 {
            let now = clock.now
            try await statuses.merge(
                WishStatus(id: message.id, updatedAt: now, pending: .init(state: .pending, reason: "array of \(size): children queued", at: now)))
        }
        guard let url = settings.queueURL(for: spec.queue) else { throw SettingsError.missing(["WISHES_QUEUE_URL"]) }
        let children = (from..<to).map { SQS.OutgoingMessage(id: String($0), body: WishMessage(id: message.id, arrayIndex: $0).body) }
        let chunks = stride(from: 0, to: children.count, by: 10).map { Array(children[$0..<min($0 + 10, children.count)]) }
        let failures = await concurrentMap(chunks, limit: 8) { chunk -> String? in
            do {
                let result = try await aws.sqs.sendMessageBatch(queueURL: url, chunk)
                return result.failed.isEmpty ? nil : "\(result.failed.count) of \(chunk.count) not sent: \(result.failed[0].Code)"
            } catch {
                return "\(error)"
            }
        }.compactMap { $0 }
        // Children sent twice are harmless (their launches are claimed); children lost are not.
        if let failure = failures.first { throw DispatchError.launchFailed(reason: "fan-out: \(failure)") }
        if to < size {
            try await enqueue(WishMessage(id: message.id, fanOutFrom: to), queue: spec.queue)
        }
        logger.info("array children queued", metadata: ["from": "\(from)", "to": "\(to)", "size": "\(size)"])
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case .keyNotFound(let key, _): return "missing field \(key.stringValue)"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return (path.isEmpty ? "" : "\(path): ") + context.debugDescription
            @unknown default: return "\(error)"
            }
        }
        return "\(error)"
    }

    /// The wish id of a message too broken to decode, if it names a valid one.
    static func idIn(_ body: String) -> WishID? {
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(body.utf8)),
            case .string(let text)? = object["id"]
        else { return nil }
        return WishID(text)
    }

    /// A message that reached a dead-letter queue (the function crashed or ran out of time on it
    /// each time): its wish ends FAILED, if nothing ended it yet.
    func deadLettered(_ record: SQSEvent.Record, logger: Logger) async throws {
        guard let message = (try? WishJSON.decode(WishMessage.self, from: Array(record.body.utf8))) ?? Self.idIn(record.body).map({ WishMessage(id: $0) })
        else {
            logger.error("dead letter names no wish; dropped", metadata: ["body": "\(record.body.prefix(200))"])
            return
        }
        if message.callback != nil || message.ended == true { return }
        let status = try await statuses.read(message.subject)
        if status?.isFinal == true { return }
        let last = status?.statusReason.map { " (last: \($0))" } ?? ""
        try await finish(
            message.subject, .failed,
            reason: "its message was dead-lettered after \(DeployedNames.maxReceiveCount) receives: the dispatcher failed on it each time\(last)",
            logger: logger)
    }

    /// A task state event that failed all of Lambda's asynchronous tries, as its on-failure
    /// destination wrote it: the event is handled again from its `requestPayload`.
    func failedEvent(_ record: SQSEvent.Record, logger: Logger) async throws {
        struct DestinationRecord: Decodable { var requestPayload: JSONValue }
        let payload: [UInt8]
        do {
            payload = try WishJSON.encode(try WishJSON.decode(DestinationRecord.self, from: Array(record.body.utf8)).requestPayload)
        } catch {
            logger.error("failed-event record without a request payload; dropped", metadata: ["error": "\(error)"])
            return
        }
        switch try DispatchEvent.decode(payload) {
        case .taskStateChange(let change): try await handle(change, logger: logger)
        case .scheduled: return  // the next tick sweeps anyway
        case .sqs: return
        }
    }
}
