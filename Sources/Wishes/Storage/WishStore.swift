import NIOConcurrencyHelpers
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Every read and write of a wish's objects: specs, secrets, statuses, claims, results, output,
/// index entries, dependents and the array tally, over one `ObjectStorage`.
///
/// Writes that do not depend on each other go out together; a spec, written once and never
/// changed, is read once per environment (`SpecCache`).
package struct WishStore: Sendable {
    package let objects: any ObjectStorage
    package let layout: S3Layout
    package let statuses: StatusStore
    /// The job definitions wishes are made from, in the same bucket.
    package let definitions: JobDefinitionStore
    let specs: SpecCache
    static let tallyBackoff = Backoff(base: .milliseconds(10), cap: .milliseconds(320))

    package init(objects: any ObjectStorage, layout: S3Layout, specCacheSize: Int = 256) {
        self.objects = objects
        self.layout = layout
        self.statuses = StatusStore(objects: objects, layout: layout)
        self.definitions = JobDefinitionStore(objects: objects, layout: layout)
        self.specs = SpecCache(capacity: specCacheSize)
    }

    // MARK: The wish

    /// The stored spec (values of `environment` removed), or nil when there is none.
    package func spec(_ id: WishID) async throws -> WishSpec? {
        if let cached = specs[id] { return cached }
        guard let object = try await objects.get(layout.spec(id)) else { return nil }
        let spec = try WishJSON.decode(WishSpec.self, from: object.body)
        specs[id] = spec
        return spec
    }

    /// Whether a wish with this id was stored, without decoding it.
    package func exists(_ id: WishID) async throws -> Bool {
        if specs[id] != nil { return true }
        return try await objects.get(layout.spec(id)) != nil
    }

    /// The values of the wish's `environment`; empty when it has none (or they went with its end).
    package func secrets(_ id: WishID) async throws -> [String: String] {
        guard let object = try await objects.get(layout.secrets(id)) else { return [:] }
        return try WishJSON.decode([String: String].self, from: object.body)
    }

    /// Writes a new wish: its secrets, spec, first status and index entry, all at once. The id is
    /// new, so the status is created with `If-None-Match: *` rather than read first. Nothing runs the
    /// wish until it is queued; a write that fails takes the others back, so no half-written wish
    /// stays in the list.
    @discardableResult
    package func create(_ spec: WishSpec, id: WishID, createdAt: Date, updatedAt: Date) async throws -> WishStatus {
        let secrets = try spec.secrets.isEmpty ? nil : WishJSON.encode(spec.secrets)
        let redacted = try WishJSON.encode(spec.redacted)
        let first = WishStatus(id: id, createdAt: createdAt, updatedAt: updatedAt)
        do {
            let created = try await withThrowingTaskGroup(of: WishStatus?.self) { group in
                if let secrets {
                    group.addTask {
                        try await objects.put(layout.secrets(id), secrets, contentType: "application/json", condition: nil, sensitive: true)
                        return nil
                    }
                }
                group.addTask {
                    try await objects.put(layout.spec(id), redacted, contentType: "application/json")
                    return nil
                }
                group.addTask {
                    try await objects.put(layout.indexEntry(id), Array(spec.queue.rawValue.utf8), contentType: "text/plain")
                    return nil
                }
                group.addTask { try await statuses.merge(first, seen: .absent) }
                var status: WishStatus?
                for try await written in group { status = written ?? status }
                return status ?? first
            }
            specs[id] = spec.redacted
            return created
        } catch {
            await discard(id)
            throw error
        }
    }

    /// Removes a stored wish that will never be queued.
    package func discard(_ id: WishID) async {
        specs[id] = nil
        await withTaskGroup(of: Void.self) { group in
            for key in [layout.indexEntry(id), layout.spec(id), layout.secrets(id), layout.status(WishSubject(id: id))] {
                group.addTask { try? await objects.delete(key) }
            }
        }
    }

    /// The environment's values are needed by no attempt once the wish has ended.
    package func deleteSecrets(_ id: WishID) async throws {
        try await objects.delete(layout.secrets(id))
    }

    // MARK: Attempts

    /// Claims an attempt for `record`'s launch; false when another delivery claimed it first.
    func claim(_ identity: TaskIdentity, _ record: LaunchRecord) async throws -> Bool {
        try await objects.putIfAbsent(layout.claim(identity.subject, attempt: identity.attempt), WishJSON.encode(record))
    }

    func claimRecord(_ identity: TaskIdentity) async throws -> LaunchRecord? {
        guard let object = try await objects.get(layout.claim(identity.subject, attempt: identity.attempt)) else { return nil }
        return try? WishJSON.decode(LaunchRecord.self, from: object.body)
    }

    /// Hands the attempt's claim to a later launch try (after a refusal for capacity).
    func reclaim(_ identity: TaskIdentity, _ record: LaunchRecord) async throws {
        try await objects.put(layout.claim(identity.subject, attempt: identity.attempt), WishJSON.encode(record), contentType: "application/json")
    }

    package func result(_ identity: TaskIdentity) async throws -> AttemptResult? {
        guard let object = try await objects.get(layout.result(identity.subject, attempt: identity.attempt)) else { return nil }
        return try? WishJSON.decode(AttemptResult.self, from: object.body)
    }

    package func putResult(_ result: AttemptResult, of identity: TaskIdentity) async throws {
        try await objects.put(layout.result(identity.subject, attempt: identity.attempt), WishJSON.encode(result), contentType: "application/json")
    }

    package func putOutput(_ bytes: [UInt8], of identity: TaskIdentity) async throws {
        try await objects.put(layout.output(identity.subject, attempt: identity.attempt), bytes)
    }

    package func output(_ identity: TaskIdentity) async throws -> [UInt8]? {
        try await objects.get(layout.output(identity.subject, attempt: identity.attempt))?.body
    }

    /// The last `bytes` of the output, with the whole output's size.
    package func outputTail(_ identity: TaskIdentity, bytes: Int) async throws -> StoredObject? {
        try await objects.tail(layout.output(identity.subject, attempt: identity.attempt), bytes: bytes)
    }

    /// An attempt launched and not yet settled (the body names its task), for the sweep.
    package func markInFlight(_ identity: TaskIdentity, taskArn: String) async throws {
        try await objects.put(layout.inFlight(identity), Array(taskArn.utf8), contentType: "text/plain")
    }

    package func settle(_ identity: TaskIdentity) async throws {
        try await objects.delete(layout.inFlight(identity))
    }

    // MARK: Dependencies

    /// Registers `waiter` to be sent again on `queue` when `id` ends.
    package func registerDependent(of id: WishID, waiter: WishID, queue: WishQueue) async throws {
        try await objects.put(layout.dependent(of: id, waiter: waiter), Array(queue.rawValue.utf8))
    }

    /// The wishes waiting for `id`, with the queue each goes to. The queue rides in the key's
    /// listing only as far as its name: one read per waiter, at most `limit` of them.
    package func dependents(of id: WishID, limit: Int = 1000) async throws -> [(WishID, WishQueue)] {
        let prefix = layout.dependentsPrefix(id)
        let entries = try await objects.listAll(prefix: prefix, limit: limit)
        let waiters = entries.compactMap { WishID(String($0.key.dropFirst(prefix.count))) }
        let queues = await concurrentMap(waiters, limit: 16) { waiter in
            (try? await objects.get(layout.dependent(of: id, waiter: waiter))).flatMap {
                $0.flatMap { WishQueue(rawValue: String(decoding: $0.body, as: UTF8.self)) }
            }
                ?? .default
        }
        return Array(zip(waiters, queues))
    }

    // MARK: Arrays

    /// Counts a child's end in the array's tally, once however often it is reported, and returns
    /// the tally and whether this report counted it: one read and one conditional write per child,
    /// whatever the array's size.
    package func countChild(_ id: WishID, index: Int, of size: Int, state: WishState, maxRaces: Int = 60) async throws -> (
        tally: ChildTally, counted: Bool
    ) {
        try await updateTally(id, size: size, maxRaces: maxRaces) { $0.record(index, succeeded: state == .succeeded) }
    }

    /// Registers the array `waiter`, whose child i waits for child i of the array `id` (`N_TO_N`):
    /// each child of `id` that ends sends the waiter's child again at once. The tally is read at
    /// every child's end anyway, so the waiters ride in it rather than cost a listing per child.
    package func registerPairedDependent(of id: WishID, size: Int, waiter: WishID, queue: WishQueue) async throws {
        try await updateTally(id, size: size) { tally in
            var waiters = tally.pairedDependents ?? []
            guard !waiters.contains(where: { $0.id == waiter }) else { return false }
            waiters.append(.init(id: waiter, queue: queue))
            tally.pairedDependents = waiters
            return true
        }
    }

    /// Changes the tally with `If-Match` (or `If-None-Match` for the first), racing whoever else
    /// changes it; `change` answers false when there is nothing to write.
    @discardableResult
    func updateTally(_ id: WishID, size: Int, maxRaces: Int = 60, _ change: (inout ChildTally) -> Bool) async throws -> (
        tally: ChildTally, counted: Bool
    ) {
        let key = layout.childTally(id)
        for race in 0..<maxRaces {
            let stored = try await objects.get(key)
            var tally = try stored.map { try WishJSON.decode(ChildTally.self, from: $0.body) } ?? ChildTally(size: size)
            guard change(&tally) else { return (tally, false) }
            do {
                try await objects.put(
                    key, WishJSON.encode(tally), contentType: "application/json",
                    condition: stored.map { .matches(etag: $0.etag ?? "*") } ?? .absent, sensitive: false)
                return (tally, true)
            } catch ObjectStorageError.conditionFailed {
                // Every lost race is another child counted; the children of one array end in bursts.
                try await Self.tallyBackoff.wait(afterFailures: race + 1)
            }
        }
        throw StatusStoreError.tooManyRaces(subject: WishSubject(id: id), races: maxRaces)
    }

    package func tally(_ id: WishID) async throws -> ChildTally? {
        try await objects.get(layout.childTally(id)).map { try WishJSON.decode(ChildTally.self, from: $0.body) }
    }

    /// Indices below `limit` of the children whose status exists, from one listing of the children's
    /// prefix. Keys sort by padded index, so the listing stops at the first child past the limit.
    package func childrenWithStatus(_ id: WishID, below limit: Int) async throws -> [Int] {
        let prefix = layout.childrenPrefix(id)
        var indices: [Int] = []
        var continuation: String?
        repeat {
            let page = try await objects.list(prefix: prefix, startAfter: nil, continuation: continuation, maxKeys: nil)
            for object in page.keys {
                guard let index = Int(object.key.dropFirst(prefix.count).prefix { $0 != "/" }) else { continue }
                if index >= limit { return indices }
                if object.key.hasSuffix("/status.json") { indices.append(index) }
            }
            continuation = page.continuation
        } while continuation != nil
        return indices
    }

    // MARK: The list

    /// One page of the newest-first index.
    package func index(after: WishID?, continuation: String?, maxKeys: Int) async throws -> (ids: [WishID], continuation: String?) {
        let page = try await objects.list(
            prefix: layout.indexPrefix, startAfter: after.map { layout.indexEntry($0) }, continuation: continuation, maxKeys: maxKeys)
        return (page.keys.compactMap { layout.id(fromIndexKey: $0.key) }, page.continuation)
    }
}

/// Which children of an array have ended, and how: one bit each, so the tally of 10,000 children
/// is one small object that each child's end reads and writes once.
package struct ChildTally: Sendable, Codable, Equatable {
    package var size: Int
    package var succeeded: Data
    package var failed: Data
    /// Arrays whose child i waits for this array's child i (`N_TO_N`), woken as each child ends.
    package var pairedDependents: [PairedDependent]?

    package struct PairedDependent: Sendable, Codable, Equatable {
        package var id: WishID
        package var queue: WishQueue
    }

    package init(size: Int) {
        self.size = size
        succeeded = Data(count: (size + 7) / 8)
        failed = Data(count: (size + 7) / 8)
    }

    package var succeededCount: Int { succeeded.reduce(0) { $0 + $1.nonzeroBitCount } }
    package var failedCount: Int { failed.reduce(0) { $0 + $1.nonzeroBitCount } }
    package var isComplete: Bool { succeededCount + failedCount >= size }

    /// How child `index` ended: nil while it has not.
    package func state(of index: Int) -> WishState? {
        guard index >= 0, index < size else { return nil }
        let bit = UInt8(1) << UInt8(index % 8)
        if succeeded[index / 8] & bit != 0 { return .succeeded }
        return failed[index / 8] & bit != 0 ? .failed : nil
    }

    /// The lowest index below `limit` of a child that failed.
    package func firstFailed(below limit: Int) -> Int? {
        for (byte, bits) in failed.prefix((min(limit, size) + 7) / 8).enumerated() where bits != 0 {
            let index = byte * 8 + bits.trailingZeroBitCount
            return index < limit ? index : nil
        }
        return nil
    }

    /// Records the child; false when it was counted before (its first report stands).
    mutating func record(_ index: Int, succeeded ok: Bool) -> Bool {
        guard index >= 0, index < size else { return false }
        let byte = index / 8
        let bit = UInt8(1) << UInt8(index % 8)
        guard succeeded[byte] & bit == 0, failed[byte] & bit == 0 else { return false }
        if ok { succeeded[byte] |= bit } else { failed[byte] |= bit }
        return true
    }
}

/// Specs by id, for specs never change once written: the children of an array, delivered to the
/// same environment, read their parent's spec once.
final class SpecCache: Sendable {
    private let entries = NIOLockedValueBox<[WishID: WishSpec]>([:])
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    subscript(id: WishID) -> WishSpec? {
        get { entries.withLockedValue { $0[id] } }
        set {
            entries.withLockedValue { entries in
                if entries.count >= capacity, newValue != nil, entries[id] == nil, let victim = entries.keys.randomElement() { entries[victim] = nil }
                entries[id] = newValue
            }
        }
    }
}
