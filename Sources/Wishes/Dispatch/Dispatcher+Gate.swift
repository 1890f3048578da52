import Foundation
import Logging

extension Dispatcher {
    /// Whether a launch may go now; nil when it may, else why it waits. Two rules, kept in S3 and
    /// read the same way in AWS and locally:
    /// - a default queue starts nothing while asap launches are being throttled, or refused for the
    ///   capacity this launch would use (Spot or on-demand Fargate), so what frees up goes to asap
    ///   first, whichever event source mapping polls faster;
    /// - a queue with a cap (`WISHES_QUEUE_MAX_VCPUS`) starts a task only while its tasks in flight
    ///   leave room for it, as a Batch compute environment's `maxvCpus` (`QueueLedger`).
    /// Either way the wish is held, not failed: it comes back later as a new message.
    func admission(for spec: WishSpec, attempt identity: TaskIdentity, onDemand: Bool = false, logger: Logger) async throws -> Hold? {
        let now = clock.now
        if !spec.queue.isASAP, options.asapFirstSeconds > 0 {
            let refusals = try await asapRefusals(at: now)
            let pool = onDemand ? "FARGATE" : spec.queue.capacityProvider
            let recent = [Self.throttled, pool].compactMap { refusals[$0] }.filter { now.timeIntervalSince($0) < Double(options.asapFirstSeconds) }
            if let refusedAt = recent.max() {
                return Hold(reason: "asap wishes are waiting for capacity (refused \(RFC3339.format(refusedAt))); default wishes start after them",
                            until: refusedAt.addingTimeInterval(Double(options.asapFirstSeconds)))
            }
        }
        guard let cap = settings.limits.queueMaxVCPUs[spec.queue] else { return nil }
        return try await ledger(spec.queue).take(identity.startedBy, vcpus: spec.vcpus, cap: cap, at: now)
            .map { Hold(reason: "queue \(spec.queue.rawValue) is \($0) (WISHES_QUEUE_MAX_VCPUS)", until: nil) }
    }

    /// Why a launch waits, and until when if that is known: asap's hold ends with its window, so a
    /// default wish comes back then; a queue's room frees at no known time, so that wait doubles.
    struct Hold: Sendable, Equatable {
        var reason: String
        var until: Date?
    }

    /// The pool name of a refusal by throttling, which every launch shares.
    static let throttled = "*"

    func ledger(_ queue: WishQueue) -> QueueLedger {
        QueueLedger(s3: aws.s3, bucket: settings.bucket, key: layout.queueLedger(queue))
    }

    /// Gives back a capped queue's room when an attempt's task stopped or was never started.
    func releaseRoom(of identity: TaskIdentity, queue: WishQueue?) async throws {
        guard let queue, settings.limits.queueMaxVCPUs[queue] != nil else { return }
        try await ledger(queue).release([identity.startedBy])
    }

    /// The sweep's check of each capped queue against ECS: room held by an attempt that has no task in
    /// flight (its end was never recorded, or its launch died) is given back.
    func reconcileLedgers(inFlight: Set<String>, logger: Logger) async throws {
        let before = clock.now.addingTimeInterval(-Double(options.recoverAfterSeconds))
        for queue in settings.limits.queueMaxVCPUs.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let dropped = try await ledger(queue).reconcile(inFlight: inFlight, before: before)
            if !dropped.isEmpty {
                logger.warning("queue room held by attempts without a task given back", metadata: ["queue": "\(queue.rawValue)", "attempts": "\(dropped)"])
            }
        }
    }

    static let groupPrefix = "wishes:"

    /// The queue a task's `group` names.
    static func queue(ofGroup group: String?) -> WishQueue? {
        guard let group, group.hasPrefix(groupPrefix) else { return nil }
        return WishQueue(rawValue: String(group.dropFirst(groupPrefix.count)))
    }

    /// When asap launches were last refused, by pool, from this environment's memory or the shared mark.
    func asapRefusals(at now: Date) async throws -> LaunchGate.Refusals {
        let known = launchGate.refusals(at: now, rereadAfter: Double(options.gateRefreshSeconds))
        guard known.reread else { return known.known }
        let object = try await aws.s3.getObjectIfExists(bucket: settings.bucket, key: layout.asapRefused)
        let marked = object.flatMap { try? WishJSON.decode(LaunchGate.Refusals.self, from: $0.body) } ?? [:]
        return launchGate.read(marked, at: now)
    }

    /// Marks an asap launch refused, for every environment (at most once per refresh period each).
    /// `pool` is the capacity provider that was short, or `throttled`.
    func noteAsapRefused(_ pool: String, logger: Logger) async {
        let now = clock.now
        // What other environments marked is kept: the mark is merged into memory before it is written.
        _ = try? await asapRefusals(at: now)
        guard let refusals = launchGate.refused(pool, at: now, rewriteAfter: Double(options.gateRefreshSeconds)) else { return }
        do {
            try await aws.s3.putObject(bucket: settings.bucket, key: layout.asapRefused, body: WishJSON.encode(refusals), contentType: "application/json")
        } catch {
            // The default queues then yield only in this environment until the next refusal writes it.
            logger.warning("cannot mark asap as refused", metadata: ["error": "\(error)"])
        }
    }

    /// Holds a launch for its queue's cap or for asap: a new delayed message, the wait doubling per
    /// hold up to SQS's 15 minutes. The status says why, once (a hold that repeats it writes nothing).
    func hold(_ message: WishMessage, spec: WishSpec, seen: StatusStore.Snapshot, _ hold: Hold, logger: Logger) async throws {
        var again = message
        again.spec = nil
        let reason = hold.reason
        let delay: Int
        if let until = hold.until {
            // Back when asap's window ends, spread over a little more so held wishes do not all return at once.
            delay = min(900, max(1, Int(until.timeIntervalSince(clock.now).rounded(.up))) + Int.random(in: 0...options.gateWaitSeconds))
        } else {
            let holds = (message.holds ?? 0) + 1
            again.holds = holds
            let ceiling = min(900, options.gateWaitSeconds << min(holds - 1, 10))
            delay = Int.random(in: (ceiling / 2)...max(ceiling / 2, ceiling))
        }
        if seen.status?.pending?.reason != reason {
            let now = clock.now
            try await statuses.merge(
                WishStatus(id: message.id, arrayIndex: message.arrayIndex, updatedAt: now, pending: .init(state: .pending, reason: reason, at: now)),
                seen: seen)
        }
        try await enqueue(again, queue: spec.queue, delaySeconds: delay)
        logger.info("launch held", metadata: ["reason": "\(reason)", "holds": "\(again.holds ?? 0)", "delaySeconds": "\(delay)"])
    }
}
