#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging

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
        try await aws.s3.deleteObject(bucket: settings.bucket, key: layout.secrets(status.id))
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
        let objects = try await aws.s3.listAllObjects(bucket: settings.bucket, prefix: layout.childrenPrefix(id))
        let statusKeys = objects.map(\.key).filter { $0.hasSuffix("/status.json") }
        guard !statusKeys.isEmpty else { return }
        let failures = await concurrentMap(statusKeys, limit: 16) { key -> String? in
            do {
                guard let object = try await aws.s3.getObjectIfExists(bucket: settings.bucket, key: key) else { return nil }
                let child = try WishJSON.decode(WishStatus.self, from: object.body)
                guard !child.isFinal, let last = child.attempts.last, !last.state.isFinal, let arn = last.taskArn else { return nil }
                try await aws.ecs.stopTask(cluster: settings.cluster, task: arn, reason: "cancelled by a user")
                return nil
            } catch {
                return "\(key): \(error)"
            }
        }.compactMap { $0 }
        // A child left running would run to its end; the message comes back and tries again.
        if let failure = failures.first { throw DispatchError.launchFailed(reason: "cancel of the array's children: \(failure)") }
        logger.info("cancelled array's running children stopped", metadata: ["children": "\(statusKeys.count)"])
    }

    /// Sends the wishes that wait for `id` again now, instead of at their next recheck. A waiter
    /// sent twice is harmless: its launch is claimed once.
    func wakeDependents(of id: WishID, logger: Logger) async throws {
        let waiters = try await aws.s3.listAllObjects(bucket: settings.bucket, prefix: layout.dependentsPrefix(id), limit: 1000)
        for entry in waiters {
            guard let waiter = WishID(String(entry.key.dropFirst(layout.dependentsPrefix(id).count))) else { continue }
            let queue = try await aws.s3.getObjectIfExists(bucket: settings.bucket, key: entry.key)
                .flatMap { WishQueue(rawValue: String(decoding: $0.body, as: UTF8.self)) } ?? .default
            try await enqueue(WishMessage(id: waiter), queue: queue)
            logger.info("dependent woken", metadata: ["dependent": "\(waiter)"])
        }
    }

    /// Records a child's end; once every child has ended, the parent ends: SUCCEEDED only if all did.
    func childFinished(_ id: WishID, index: Int, state: WishState, logger: Logger) async throws {
        try await aws.s3.putObject(bucket: settings.bucket, key: layout.childDone(id, index: index), body: Array(state.rawValue.utf8))
        guard let spec = try await storedSpec(id), let size = spec.arraySize else { return }
        let done = try await aws.s3.listAllObjects(bucket: settings.bucket, prefix: layout.childrenDonePrefix(id), limit: size + 1)
        guard done.count >= size else { return }
        var failed = 0
        for object in done where object.size != WishState.succeeded.rawValue.utf8.count { failed += 1 }
        let now = clock.now
        let final = failed == 0
            ? WishStatus.Mark(state: .succeeded, reason: "all \(size) children succeeded", at: now)
            : WishStatus.Mark(state: .failed, reason: "\(failed) of \(size) children failed", at: now)
        let status = try await statuses.merge(WishStatus(id: id, updatedAt: now, final: final))
        try await afterFinal(status, logger: logger)
    }
}
