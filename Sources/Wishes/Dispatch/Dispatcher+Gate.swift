import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Dispatcher {
    /// Whether a launch may go now; nil when it may, else why it waits. Two rules, kept in S3 and
    /// read the same way in AWS and locally:
    /// - a default queue starts nothing while asap launches are being throttled, or refused for the
    ///   capacity this launch would use (Spot or on-demand Fargate), so what frees up goes to asap
    ///   first, whichever event source mapping polls faster. A wish held this way for
    ///   `asapFirstMaxHoldSeconds` goes anyway: then its own refusals count, it moves to on-demand
    ///   and, at worst, fails like any launch that finds no capacity, so a long asap shortage cannot
    ///   keep a default wish from ending;
    /// - a queue with a cap (`WISHES_QUEUE_MAX_VCPUS`) starts a task only while its tasks in flight
    ///   leave room for it, as a Batch compute environment's `maxvCpus` (`QueueLedger`). A wish
    ///   larger than the whole cap (the cap was lowered after it was accepted) could never start,
    ///   and ends FAILED.
    func admission(for spec: WishSpec, message: WishMessage, logger: Logger) async throws -> Hold? {
        let now = clock.now
        let heldFor = message.heldSince.map { now.timeIntervalSince($0) } ?? 0
        if !spec.queue.isASAP, options.asapFirstSeconds > 0, heldFor < Double(options.asapFirstMaxHoldSeconds) {
            let refusals = try await asapRefusals(at: now)
            let pool = message.onDemand == true ? "FARGATE" : spec.queue.capacityProvider
            let recent = [Self.throttled, pool].compactMap { refusals[$0] }.filter { now.timeIntervalSince($0) < Double(options.asapFirstSeconds) }
            if let refusedAt = recent.max() {
                return Hold(
                    reason: "asap wishes are waiting for capacity; default wishes start after them",
                    kind: .until(refusedAt.addingTimeInterval(Double(options.asapFirstSeconds))))
            }
        }
        guard let cap = settings.limits.queueMaxVCPUs[spec.queue] else { return nil }
        guard spec.vcpus <= cap else {
            return Hold(
                reason:
                    "\(spec.vcpus.decimalText) vCPU is over queue \(spec.queue.rawValue)'s cap of \(cap.decimalText) vCPU (WISHES_QUEUE_MAX_VCPUS): it could never start",
                kind: .never)
        }
        let identity = TaskIdentity(subject: message.subject, attempt: message.attempt ?? 1)
        switch try await ledger(spec.queue).take(identity.startedBy, vcpus: spec.vcpus, cap: cap, at: now) {
        case .taken: return nil
        case .full: return Hold(reason: "queue \(spec.queue.rawValue) is at its cap of \(cap.decimalText) vCPU (WISHES_QUEUE_MAX_VCPUS)", kind: .room)
        case .contended:
            // Room may be there: the count changed under us too often. Back soon, not counted as a wait for room.
            return Hold(reason: "queue \(spec.queue.rawValue)'s count is busy", kind: .until(now.addingTimeInterval(1)))
        }
    }

    /// Why a launch waits, and how: until a known time (asap's window, a busy count), for room in a
    /// queue (doubling waits, as the time room frees up is not known), or never (the wish fails).
    struct Hold: Sendable, Equatable {
        enum Kind: Sendable, Equatable {
            case until(Date)
            case room
            case never
        }

        var reason: String
        var kind: Kind
    }

    /// The pool name of a refusal by throttling, which every launch shares.
    static let throttled = "THROTTLED"

    func ledger(_ queue: WishQueue) -> QueueLedger {
        QueueLedger(objects: store.objects, key: layout.queueLedger(queue))
    }

    /// Gives back a capped queue's room when an attempt's task stopped or was never started.
    func releaseRoom(of identity: TaskIdentity, queue: WishQueue?) async throws {
        guard let queue, settings.limits.queueMaxVCPUs[queue] != nil else { return }
        try await ledger(queue).release([identity.startedBy])
    }

    /// The sweep's check of each capped queue against ECS: room held by an attempt that has no task in
    /// flight (its end was never recorded, or its launch died) is given back. A queue whose ledger
    /// cannot be read or written now is left for the next tick; the sweep goes on.
    func reconcileLedgers(inFlight: Set<String>, logger: Logger) async {
        let before = clock.now.addingTimeInterval(-Double(options.recoverAfterSeconds))
        for queue in settings.limits.queueMaxVCPUs.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            do {
                let dropped = try await ledger(queue).reconcile(inFlight: inFlight, before: before)
                if !dropped.isEmpty {
                    logger.warning("queue room held by attempts without a task given back", metadata: ["queue": "\(queue.rawValue)", "attempts": "\(dropped)"])
                }
            } catch {
                logger.warning(
                    "cannot check the queue's count against ECS; the next sweep will", metadata: ["queue": "\(queue.rawValue)", "error": "\(error)"])
            }
        }
    }

    static let groupPrefix = "wishes:"

    /// The queue a task's `group` names.
    static func queue(ofGroup group: String?) -> WishQueue? {
        guard let group, group.hasPrefix(groupPrefix) else { return nil }
        return WishQueue(rawValue: String(group.dropFirst(groupPrefix.count)))
    }

    /// When asap launches were last refused, by pool, from this environment's memory or the shared
    /// marks: one object per pool under `gate/asap-refused/`, whose time is S3's own `LastModified`,
    /// so one LIST reads them all and no environment's write can undo another's.
    func asapRefusals(at now: Date) async throws -> LaunchGate.Refusals {
        let known = launchGate.refusals(at: now, rereadAfter: Double(options.gateRefreshSeconds))
        guard known.reread else { return known.known }
        let page = try await store.objects.list(prefix: layout.asapRefusedPrefix, startAfter: nil, continuation: nil, maxKeys: nil)
        var marked: LaunchGate.Refusals = [:]
        for object in page.keys {
            guard let at = object.lastModified else { continue }
            marked[String(object.key.dropFirst(layout.asapRefusedPrefix.count))] = at
        }
        return launchGate.read(marked, at: now)
    }

    /// Marks an asap launch refused, for every environment (at most once per refresh period each).
    /// `pool` is the capacity provider that was short, or `throttled`.
    func noteAsapRefused(_ pool: String, logger: Logger) async {
        let now = clock.now
        guard launchGate.refused(pool, at: now, rewriteAfter: Double(options.gateRefreshSeconds)) else { return }
        do {
            try await store.objects.put(layout.asapRefused(pool), Array(RFC3339.format(now).utf8), contentType: "text/plain")
            launchGate.wrote(pool, at: now)
        } catch {
            // The default queues then yield only in this environment until a refusal's mark is written.
            logger.warning("cannot mark asap as refused", metadata: ["error": "\(error)"])
        }
    }

    /// Holds a launch: a new delayed message. A wait for room doubles per hold up to SQS's 15 minutes;
    /// a wait with a known end comes back then. The status says why, once (a hold that repeats the
    /// reason writes nothing).
    func hold(_ message: WishMessage, spec: WishSpec, seen: StatusStore.Snapshot, _ hold: Hold, logger: Logger) async throws {
        let now = clock.now
        var again = message
        again.spec = nil
        again.heldSince = message.heldSince ?? now
        let delay: Int
        switch hold.kind {
        case .never:
            return try await finish(message.subject, .failed, reason: hold.reason, logger: logger)
        case .until(let until):
            // Spread over a little more, so held wishes do not all come back at once.
            delay = min(Self.sqsMaxDelaySeconds, max(1, Int(until.timeIntervalSince(now).rounded(.up))) + Int.random(in: 0...options.gateWaitSeconds))
        case .room:
            let holds = (message.holds ?? 0) + 1
            again.holds = holds
            delay = Backoff.seconds(base: options.gateWaitSeconds, cap: Self.sqsMaxDelaySeconds, jitter: .equal, afterFailures: holds)
        }
        if seen.status?.pending?.reason != hold.reason {
            try await statuses.merge(
                WishStatus(id: message.id, arrayIndex: message.arrayIndex, updatedAt: now, pending: .init(state: .pending, reason: hold.reason, at: now)),
                seen: seen)
        }
        try await enqueue(again, queue: spec.queue, delaySeconds: delay)
        logger.info("launch held", metadata: ["reason": "\(hold.reason)", "holds": "\(again.holds ?? 0)", "delaySeconds": "\(delay)"])
    }
}
