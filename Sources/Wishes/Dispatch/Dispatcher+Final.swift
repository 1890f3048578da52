import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Dispatcher {
    /// What follows a final status: the callback, the wishes waiting for this one, and for an array
    /// child, its parent's tally.
    func afterFinal(_ status: WishStatus, logger: Logger) async throws {
        guard status.isFinal else { return }
        if let index = status.arrayIndex {
            try await childFinished(status.id, index: index, state: status.state, logger: logger)
            return
        }
        // The environment's values are needed by no attempt once the wish has ended (an array's
        // children end before their parent does): they go, rather than wait for the bucket's expiry.
        try await store.deleteSecrets(status.id)
        if status.cancelRequestedAt != nil { try await stopRunningChildren(of: status.id, logger: logger) }
        try await wakeDependents(of: status.id, logger: logger)
        // The callback's first try goes through the queue like every later one: a crash after
        // this point loses nothing, and the try is claimed there, so a repeated end calls once.
        guard status.callback == nil, let spec = try await storedSpec(status.id), spec.callbackUrl != nil else { return }
        try await enqueue(WishMessage(id: status.id, callback: .init(number: 1)), queue: spec.queue)
    }

    /// A cancelled array's children that already run are stopped; those still queued see the
    /// parent's cancel when their message comes and end without launching.
    func stopRunningChildren(of id: WishID, logger: Logger) async throws {
        guard let size = try await store.spec(id)?.arraySize else { return }
        let children = try await store.childrenWithStatus(id, below: size)
        guard !children.isEmpty else { return }
        let failures = await concurrentMap(children, limit: 16) { index -> String? in
            do {
                guard let child = try await statuses.read(WishSubject(id: id, arrayIndex: index)) else { return nil }
                guard !child.isFinal, let last = child.attempts.last, !last.state.isFinal, let arn = last.taskArn else { return nil }
                try await aws.ecs.stopTask(cluster: settings.cluster, task: arn, reason: "cancelled by a user")
                return nil
            } catch {
                return "child \(index): \(error)"
            }
        }.compactMap { $0 }
        // A child left running would run to its end; the message comes back and tries again.
        if let failure = failures.first { throw DispatchError.launchFailed(reason: "cancel of the array's children: \(failure)") }
        logger.info("cancelled array's running children stopped", metadata: ["children": "\(children.count)"])
    }

    /// Sends the wishes that wait for `id` again now, instead of at their next recheck. A waiter
    /// sent twice is harmless: its launch is claimed once.
    func wakeDependents(of id: WishID, logger: Logger) async throws {
        for (waiter, queue) in try await store.dependents(of: id) {
            try await enqueue(WishMessage(id: waiter), queue: queue)
            logger.info("dependent woken", metadata: ["dependent": "\(waiter)"])
        }
    }

    /// Records a child's end and wakes the children waiting for it; once every child has ended, the
    /// parent ends: SUCCEEDED only if all did.
    func childFinished(_ id: WishID, index: Int, state: WishState, logger: Logger) async throws {
        guard let spec = try await storedSpec(id), let size = spec.arraySize else { return }
        let (tally, counted) = try await store.countChild(id, index: index, of: size, state: state)
        if counted { await wakeChildDependents(of: id, index: index, spec: spec, tally: tally, logger: logger) }
        guard tally.isComplete else { return }
        let failed = tally.failedCount
        let now = clock.now
        let final =
            failed == 0
            ? WishStatus.Mark(state: .succeeded, reason: "all \(size) children succeeded", at: now)
            : WishStatus.Mark(state: .failed, reason: "\(failed) of \(size) children failed", at: now)
        let status = try await statuses.merge(WishStatus(id: id, updatedAt: now, final: final))
        try await afterFinal(status, logger: logger)
    }
}
