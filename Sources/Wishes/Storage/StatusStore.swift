import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads and writes `status.json` with compare-and-swap (`If-Match` / `If-None-Match`), so
/// concurrent writers merge their reports instead of overwriting each other.
package struct StatusStore: Sendable {
    package let objects: any ObjectStorage
    package let layout: S3Layout
    /// Lost races retried before giving up; each one means another writer made progress.
    package var maxRaces = 20
    /// Writers of one status race in bursts (a task's end and its event, a cancel): spread out fully.
    static let raceBackoff = Backoff(base: .milliseconds(5), cap: .milliseconds(320))

    package init(objects: any ObjectStorage, layout: S3Layout) {
        self.objects = objects
        self.layout = layout
    }

    package func read(_ subject: WishSubject) async throws -> WishStatus? {
        try await readVersion(subject).map(\.status)
    }

    /// What a reader saw: the stored status and its ETag, or that none was stored. Handed back to
    /// `merge`, it saves the merge its first read; a change since then fails the conditional write
    /// and the merge reads again.
    package struct Snapshot: Sendable {
        let stored: (status: WishStatus, etag: String?)?
        package var status: WishStatus? { stored?.status }

        /// A subject known to have no status yet (a wish being created): the merge writes with
        /// `If-None-Match: *` at once instead of reading a 404 first.
        package static let absent = Snapshot(stored: nil)
    }

    package func snapshot(_ subject: WishSubject) async throws -> Snapshot {
        Snapshot(stored: try await readVersion(subject))
    }

    func readVersion(_ subject: WishSubject) async throws -> (status: WishStatus, etag: String?)? {
        guard let object = try await objects.get(layout.status(subject)) else { return nil }
        return (try WishJSON.decode(WishStatus.self, from: object.body), object.etag)
    }

    /// Merges `report` into the stored status and returns what is stored now.
    ///
    /// - Parameter seen: the status as the caller last read it, to start from instead of reading.
    @discardableResult
    package func merge(_ report: WishStatus, seen: Snapshot? = nil) async throws -> WishStatus {
        try await mergeKeepingVersion(report, seen: seen).status
    }

    /// `merge`, also returning what is stored now with its ETag: handed to the next merge as `seen`,
    /// it saves that merge its read. Nil when the store named no ETag (`If-Match` needs one).
    package func mergeKeepingVersion(_ report: WishStatus, seen: Snapshot? = nil) async throws -> (status: WishStatus, version: Snapshot?) {
        let subject = WishSubject(id: report.id, arrayIndex: report.arrayIndex)
        for race in 0..<maxRaces {
            let current = if race == 0, let seen { seen.stored } else { try await readVersion(subject) }
            let merged = current.map { $0.status.merged(with: report) } ?? report
            // A report that adds nothing but a later `updatedAt` (an event delivered again) is not
            // a change: nothing is written, and the status keeps the time it last changed.
            if let current, merged.sameExceptUpdatedAt(current.status) {
                return (current.status, current.etag == nil ? nil : Snapshot(stored: current))
            }
            do {
                let etag = try await objects.put(
                    layout.status(subject), try WishJSON.encode(merged), contentType: "application/json",
                    condition: current.map { .matches(etag: $0.etag ?? "*") } ?? .absent, sensitive: false)
                return (merged, etag.map { Snapshot(stored: (merged, $0)) })
            } catch ObjectStorageError.conditionFailed {
                try await Self.raceBackoff.wait(afterFailures: race + 1)
            }
        }
        throw StatusStoreError.tooManyRaces(subject: subject, races: maxRaces)
    }
}

extension WishStatus {
    /// Compared as stored: a time read back from JSON and the same time parsed from an event may
    /// differ in the last bit of a `Double`, which is no change anyone can see.
    func sameExceptUpdatedAt(_ other: WishStatus) -> Bool {
        var copy = self
        copy.updatedAt = other.updatedAt
        if copy == other { return true }
        guard let mine = try? WishJSON.encode(copy), let theirs = try? WishJSON.encode(other) else { return false }
        return mine == theirs
    }
}

package enum StatusStoreError: Error, CustomStringConvertible {
    case tooManyRaces(subject: WishSubject, races: Int)

    package var description: String {
        switch self {
        case .tooManyRaces(let subject, let races):
            "status of \(subject) changed under us \(races) times in a row; try again"
        }
    }
}
