#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Every S3 key Wishes uses, in one place.
///
/// ```
/// wishes/{id}/spec.json                      the spec as shown (environment values removed)
/// wishes/{id}/secrets.json                   environment values, read by the dispatcher only
/// wishes/{id}/status.json                    the merged status
/// wishes/{id}/attempts/{n}/claim             the exactly-once claim of attempt n (If-None-Match)
/// wishes/{id}/attempts/{n}/output            the attempt's stdout and stderr
/// wishes/{id}/attempts/{n}/result.json       how the attempt ended
/// wishes/{id}/children/{index}/...           the same, per array child
/// wishes/{id}/callback/{n}                   the claim of the callback's try n (If-None-Match)
/// wishes/{id}/tally.json                     which array children have ended, and how (one bit each)
/// index/{newest-first}-{id}                  one empty object per wish, for newest-first listing
/// idempotency/{sha256(key)}                  the wish an Idempotency-Key created
/// job-definitions/{name}/{revision}.json      a job definition's revision (If-None-Match allots the number)
/// ```
public struct S3Layout: Sendable, Equatable {
    /// Prepended to every key, so one bucket can hold several deployments.
    public var prefix: String

    public init(prefix: String = "") {
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    public func wishPrefix(_ id: WishID) -> String { "\(prefix)wishes/\(id)/" }

    func base(_ subject: WishSubject) -> String {
        guard let index = subject.arrayIndex else { return wishPrefix(subject.id) }
        return wishPrefix(subject.id) + "children/\(Self.pad(index, 5))/"
    }

    public func spec(_ id: WishID) -> String { wishPrefix(id) + "spec.json" }
    public func secrets(_ id: WishID) -> String { wishPrefix(id) + "secrets.json" }
    public func status(_ subject: WishSubject) -> String { base(subject) + "status.json" }
    public func claim(_ subject: WishSubject, attempt: Int) -> String { base(subject) + "attempts/\(attempt)/claim" }
    public func output(_ subject: WishSubject, attempt: Int) -> String { base(subject) + "attempts/\(attempt)/output" }
    public func result(_ subject: WishSubject, attempt: Int) -> String { base(subject) + "attempts/\(attempt)/result.json" }
    public func childrenPrefix(_ id: WishID) -> String { wishPrefix(id) + "children/" }
    public func idempotency(keyHash: String) -> String { "\(prefix)idempotency/\(keyHash)" }
    /// When an asap launch was last refused for capacity: default launches yield while it is recent.
    public var asapRefusedPrefix: String { "\(prefix)gate/asap-refused/" }
    public func asapRefused(_ pool: String) -> String { asapRefusedPrefix + pool }
    /// The tasks a capped queue holds (`QueueLedger`).
    public func queueLedger(_ queue: WishQueue) -> String { "\(prefix)gate/\(queue.rawValue).json" }

    public func callbackClaim(_ id: WishID, try number: Int) -> String { wishPrefix(id) + "callback/\(number)" }
    /// Which children have ended, one bit each (`ChildTally`).
    public func childTally(_ id: WishID) -> String { wishPrefix(id) + "tally.json" }
    /// A wish waiting for `id`: when `id` ends, the waiter is sent again at once (the body is its queue).
    public func dependent(of id: WishID, waiter: WishID) -> String { dependentsPrefix(id) + waiter.rawValue }
    public func dependentsPrefix(_ id: WishID) -> String { wishPrefix(id) + "dependents/" }

    public var indexPrefix: String { "\(prefix)index/" }

    public var jobDefinitionsPrefix: String { "\(prefix)job-definitions/" }
    public func jobDefinitionPrefix(_ name: String) -> String { jobDefinitionsPrefix + name + "/" }
    /// Padded, so key order is revision order and the last key is the newest revision.
    public func jobDefinition(_ name: String, revision: Int) -> String { jobDefinitionPrefix(name) + Self.pad(revision, 8) + ".json" }

    /// The revision a definition's key names, or nil for a key that is not one.
    public func revision(ofJobDefinitionKey key: String) -> Int? {
        guard key.hasPrefix(jobDefinitionsPrefix), key.hasSuffix(".json"), let slash = key.lastIndex(of: "/") else { return nil }
        return Int(key[key.index(after: slash)...].dropLast(5))
    }

    /// Attempts launched and not yet settled, by `TaskIdentity.startedBy` (the body names the task):
    /// the sweep's list of what ECS must still know.
    public var inFlightPrefix: String { "\(prefix)inflight/" }
    public func inFlight(_ identity: TaskIdentity) -> String { inFlightPrefix + identity.startedBy }

    /// Wishes waiting for a `notBefore` more than SQS's 15 minutes away, in the order they are due.
    public var schedulePrefix: String { "\(prefix)schedule/" }

    /// The due time in whole seconds, padded so key order is time order, then who is waiting.
    public func scheduled(_ subject: WishSubject, attempt: Int, due: Date) -> String {
        let seconds = Int(due.timeIntervalSince1970.rounded(.up))
        return schedulePrefix + Self.pad(seconds, 12) + "-" + subject.id.rawValue + (subject.arrayIndex.map { "-\($0)" } ?? "") + "-a\(attempt)"
    }

    /// When a schedule entry is due, or nil for a key that is not one.
    public func due(ofScheduleKey key: String) -> Date? {
        guard key.hasPrefix(schedulePrefix), let seconds = Int(key.dropFirst(schedulePrefix.count).prefix(12)) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Sorts newest first: the id's time counted down from the largest 48-bit value.
    public func indexEntry(_ id: WishID) -> String {
        let millis = UInt64((id.date.timeIntervalSince1970 * 1000).rounded()) & 0xFFFF_FFFF_FFFF
        return indexPrefix + Self.pad(Int(0xFFFF_FFFF_FFFF - millis), 15) + "-" + id.rawValue
    }

    /// The id an index key names, or nil for a key that is not one.
    public func id(fromIndexKey key: String) -> WishID? {
        guard key.hasPrefix(indexPrefix), let dash = key.lastIndex(of: "-") else { return nil }
        return WishID(String(key[key.index(after: dash)...]))
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
