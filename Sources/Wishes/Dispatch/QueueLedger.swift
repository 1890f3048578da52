import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The tasks a capped queue holds, one S3 object per queue changed only by compare-and-swap
/// (`If-Match`), so that every environment and every event source mapping sees the same count and
/// no two launches take the last room at once. ECS's task list is the truth it is checked against:
/// the sweep drops entries whose task is not in flight, so an end that was never recorded frees its
/// room within a few minutes instead of never.
struct QueueLedger: Sendable {
    struct Entry: Codable, Sendable, Equatable {
        var vcpus: Double
        var at: Date
    }

    struct Book: Codable, Sendable, Equatable {
        /// By attempt (`TaskIdentity.startedBy`).
        var tasks: [String: Entry] = [:]
        var vcpus: Double { tasks.values.reduce(0) { $0 + $1.vcpus } }
    }

    let objects: any ObjectStorage
    let key: String

    /// How often a write that lost a race is tried again before the launch is held instead.
    static let maxRaces = 8
    static let raceBackoff = Backoff(base: .milliseconds(20), cap: .milliseconds(640))

    enum Take: Sendable, Equatable {
        case taken
        /// No room: the queue's tasks in flight and this one would pass the cap.
        case full
        /// Every write lost a race to another launch; there may be room.
        case contended
    }

    /// Takes room for `attempt`. An attempt that holds room already (its message came again) keeps
    /// it, with its time renewed, so the sweep's check does not take it for one that never launched.
    func take(_ attempt: String, vcpus: Double, cap: Double, at now: Date) async throws -> Take {
        var full = false
        let written = try await update { book in
            if book.tasks[attempt] == nil, book.vcpus + vcpus > cap {
                full = true
                return false
            }
            book.tasks[attempt] = Entry(vcpus: vcpus, at: now)
            return true
        }
        return written == nil ? .contended : full ? .full : .taken
    }

    /// Gives back the room of attempts that ended.
    func release(_ attempts: Set<String>) async throws {
        _ = try await update { book in
            let before = book.tasks.count
            for attempt in attempts { book.tasks[attempt] = nil }
            return book.tasks.count != before
        }
    }

    /// Drops entries older than `before` whose attempt is not among `inFlight`: ends no event recorded.
    func reconcile(inFlight: Set<String>, before: Date) async throws -> [String] {
        var dropped: [String] = []
        _ = try await update { book in
            dropped = book.tasks.filter { !inFlight.contains($0.key) && $0.value.at < before }.map(\.key).sorted()
            for attempt in dropped { book.tasks[attempt] = nil }
            return !dropped.isEmpty
        }
        return dropped
    }

    func read() async throws -> Book {
        guard let object = try await objects.get(key) else { return Book() }
        return try WishJSON.decode(Book.self, from: object.body)
    }

    /// Reads, changes and writes back the book until a write wins. `change` returns false when there
    /// is nothing to write. Returns nil when every write lost a race.
    private func update(_ change: (inout Book) -> Bool) async throws -> Book? {
        for race in 0..<Self.maxRaces {
            let object = try await objects.get(key)
            var book = try object.map { try WishJSON.decode(Book.self, from: $0.body) } ?? Book()
            guard change(&book) else { return book }
            do {
                try await objects.put(
                    key, WishJSON.encode(book), contentType: "application/json",
                    condition: object.map { .matches(etag: $0.etag ?? "*") } ?? .absent, sensitive: false)
                return book
            } catch ObjectStorageError.conditionFailed {
                try? await Self.raceBackoff.wait(afterFailures: race + 1)
            }
        }
        return nil
    }
}
