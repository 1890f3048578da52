import NIOConcurrencyHelpers
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `ObjectStorage` in memory, with S3's semantics where Wishes relies on them: conditional writes,
/// key-ordered listing in pages, suffix ranges, deletes of absent keys. For unit tests, and it
/// counts every call so a test can hold a path to its number of round trips.
package final class MemoryObjectStorage: ObjectStorage {
    struct Entry {
        var body: [UInt8]
        var etag: String
        var lastModified: Date
        var sensitive: Bool
    }

    private let state = NIOLockedValueBox<(objects: [String: Entry], version: Int, calls: [String: Int])>(([:], 0, [:]))
    let clock: any WallClock
    /// Keys per listed page, small by default so tests cross page boundaries as S3's 1,000 would.
    package let pageSize: Int

    package init(clock: any WallClock = SystemClock(), pageSize: Int = 1000) {
        self.clock = clock
        self.pageSize = pageSize
    }

    /// Calls made so far by operation (`get`, `tail`, `put`, `delete`, `list`).
    package var calls: [String: Int] { state.withLockedValue { $0.calls } }
    package var totalCalls: Int { calls.values.reduce(0, +) }
    package func resetCalls() { state.withLockedValue { $0.calls = [:] } }
    package var keys: [String] { state.withLockedValue { $0.objects.keys.sorted() } }
    /// Whether the object was written as sensitive (encrypted under the deployment's key in S3).
    package func isSensitive(_ key: String) -> Bool { state.withLockedValue { $0.objects[key]?.sensitive ?? false } }

    private func count(_ operation: String) { state.withLockedValue { $0.calls[operation, default: 0] += 1 } }

    package func get(_ key: String) async throws -> StoredObject? {
        count("get")
        return state.withLockedValue { state in
            state.objects[key].map { StoredObject(body: $0.body, etag: $0.etag, lastModified: $0.lastModified) }
        }
    }

    package func tail(_ key: String, bytes: Int) async throws -> StoredObject? {
        count("tail")
        return state.withLockedValue { state in
            state.objects[key].map {
                StoredObject(body: Array($0.body.suffix(max(0, bytes))), etag: $0.etag, lastModified: $0.lastModified, size: $0.body.count)
            }
        }
    }

    @discardableResult
    package func put(_ key: String, _ body: [UInt8], contentType: String, condition: WriteCondition?, sensitive: Bool) async throws -> String? {
        count("put")
        let now = clock.now
        return try state.withLockedValue { state in
            switch condition {
            case .absent where state.objects[key] != nil: throw ObjectStorageError.conditionFailed(key: key)
            case .matches(let etag) where state.objects[key]?.etag != etag: throw ObjectStorageError.conditionFailed(key: key)
            default: break
            }
            state.version += 1
            let etag = "\"\(state.version)\""
            state.objects[key] = Entry(body: body, etag: etag, lastModified: now, sensitive: sensitive)
            return etag
        }
    }

    package func delete(_ key: String) async throws {
        count("delete")
        state.withLockedValue { _ = $0.objects.removeValue(forKey: key) }
    }

    package func list(prefix: String, startAfter: String?, continuation: String?, maxKeys: Int?) async throws -> KeyPage {
        count("list")
        let limit = min(maxKeys ?? pageSize, pageSize)
        let after = continuation ?? startAfter
        return state.withLockedValue { state in
            let matching = state.objects.keys.filter { key in key.hasPrefix(prefix) && after.map { key > $0 } != false }.sorted()
            let page = matching.prefix(limit).map { StoredKey(key: $0, size: state.objects[$0]!.body.count, lastModified: state.objects[$0]!.lastModified) }
            return KeyPage(keys: page, continuation: matching.count > limit ? page.last?.key : nil)
        }
    }
}
