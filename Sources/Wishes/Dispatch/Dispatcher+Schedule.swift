import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a schedule entry holds: the message to send when it is due, and the queue to send it to.
struct ScheduledMessage: Codable, Sendable {
    var queue: WishQueue
    var message: WishMessage
}

extension Dispatcher {
    /// The longest wait SQS holds a message for (`DelaySeconds`).
    static let sqsMaxDelaySeconds = 900

    /// Waits for `notBefore`. Up to SQS's 15 minutes it is one delayed message; beyond that one S3
    /// object under `schedule/`, keyed by its due time, which the minute's sweep turns back into a
    /// delayed message once it is less than 15 minutes away. A wish that waits a month costs one write
    /// and one read, not a message every 15 minutes (2,880 of them).
    ///
    /// Why not EventBridge Scheduler's one-time schedules: they would do the same with a schedule per
    /// wish, a role Scheduler passes, CreateSchedule's rate limit and the account's schedule quota to
    /// watch, and no way to see them in the local cloud but a poller we would write anyway. The sweep
    /// already runs every minute, and S3 lists keys in order, so a tick reads only what is due.
    func waitUntil(_ notBefore: Date, message: WishMessage, spec: WishSpec, logger: Logger) async throws {
        let seconds = Int(notBefore.timeIntervalSince(clock.now).rounded(.up))
        let reason = "waiting until \(RFC3339.format(notBefore))"
        guard seconds > Self.sqsMaxDelaySeconds else { return try await wait(message, spec: spec, seconds: seconds, reason: reason) }
        var later = message
        later.spec = nil
        let key = layout.scheduled(message.subject, attempt: message.attempt ?? 1, due: notBefore)
        try await store.objects.put(key, WishJSON.encode(ScheduledMessage(queue: spec.queue, message: later)), contentType: "application/json")
        let now = clock.now
        try await statuses.merge(
            WishStatus(id: message.id, arrayIndex: message.arrayIndex, updatedAt: now, pending: .init(state: .pending, reason: reason, at: now)))
        logger.info("wish scheduled", metadata: ["notBefore": "\(RFC3339.format(notBefore))", "key": "\(key)"])
    }

    /// Sends every scheduled message due within SQS's 15 minutes, delayed until its time, then
    /// removes its entry. Keys sort by due time, so the listing stops at the first entry not yet due;
    /// a lost tick only moves the send to the next one, and a send repeated after a crash is a
    /// duplicate delivery, which the launch's claim already absorbs. Returns how many were sent.
    func releaseScheduled(logger: Logger) async throws -> Int {
        let now = clock.now
        let horizon = now.addingTimeInterval(TimeInterval(Self.sqsMaxDelaySeconds))
        var due: [String] = []
        var token: String?
        listing: repeat {
            let page = try await store.objects.list(prefix: layout.schedulePrefix, startAfter: nil, continuation: token, maxKeys: 1000)
            for object in page.keys {
                guard let at = layout.due(ofScheduleKey: object.key) else { continue }
                if at > horizon { break listing }
                due.append(object.key)
            }
            token = page.continuation
        } while token != nil
        let failures = await concurrentMap(due, limit: options.maxConcurrentRecords) { key -> String? in
            do {
                try await release(key, now: now)
                return nil
            } catch {
                logger.warning("scheduled wish not sent yet; the next sweep tries again", metadata: ["key": "\(key)", "error": "\(error)"])
                return key
            }
        }
        return due.count - failures.compactMap { $0 }.count
    }

    private func release(_ key: String, now: Date) async throws {
        guard let object = try await store.objects.get(key) else { return }
        let entry = try WishJSON.decode(ScheduledMessage.self, from: object.body)
        let wait = layout.due(ofScheduleKey: key).map { Int($0.timeIntervalSince(now).rounded(.up)) } ?? 0
        try await enqueue(entry.message, queue: entry.queue, delaySeconds: wait)
        try await store.objects.delete(key)
    }
}
