#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where Wishes keeps its objects: S3 in AWS and in the local cloud, memory in unit tests.
///
/// The seam sits at objects rather than at wishes so that the conditional-write semantics every
/// exactly-once guarantee rests on (`If-None-Match: *`, `If-Match`) are written once per backend and
/// shared by every caller, as swift-jobs pairs each driver with a memory driver of the same contract.
package protocol ObjectStorage: Sendable {
    /// The object, or nil when no object has the key.
    func get(_ key: String) async throws -> StoredObject?
    /// At most the last `bytes` bytes of the object (a suffix range), or nil when there is none.
    func tail(_ key: String, bytes: Int) async throws -> StoredObject?
    /// Writes the object. With a condition, a lost race throws `ObjectStorageError.conditionFailed`.
    /// `sensitive` objects are encrypted under the deployment's own key where the backend has one.
    @discardableResult
    func put(_ key: String, _ body: [UInt8], contentType: String, condition: WriteCondition?, sensitive: Bool) async throws -> String?
    /// Removes the object; removing one that is not there succeeds, as S3's DELETE does.
    func delete(_ key: String) async throws
    /// One page of keys under `prefix` in key order, after `startAfter` or from `continuation`.
    func list(prefix: String, startAfter: String?, continuation: String?, maxKeys: Int?) async throws -> KeyPage
}

/// What a conditional write requires of the object that is there now.
package enum WriteCondition: Sendable, Equatable {
    /// Only if no object has the key: the claim of an attempt, a key or a callback try.
    case absent
    /// Only if the object is still this version: compare-and-swap.
    case matches(etag: String)
}

package struct StoredObject: Sendable, Equatable {
    package var body: [UInt8]
    package var etag: String?
    package var lastModified: Date?
    /// The whole object's size, which a tail read tells apart from the bytes it got.
    package var size: Int

    package init(body: [UInt8], etag: String? = nil, lastModified: Date? = nil, size: Int? = nil) {
        self.body = body
        self.etag = etag
        self.lastModified = lastModified
        self.size = size ?? body.count
    }
}

package struct StoredKey: Sendable, Equatable {
    package var key: String
    package var size: Int
    package var lastModified: Date?

    package init(key: String, size: Int, lastModified: Date? = nil) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
    }
}

package struct KeyPage: Sendable, Equatable {
    package var keys: [StoredKey]
    /// Where the next page starts, or nil after the last one.
    package var continuation: String?

    package init(keys: [StoredKey], continuation: String?) {
        self.keys = keys
        self.continuation = continuation
    }
}

package enum ObjectStorageError: Error, Equatable, CustomStringConvertible {
    /// Another writer got there first; read again and decide again.
    case conditionFailed(key: String)

    package var description: String {
        switch self {
        case .conditionFailed(let key): "the object \(key) changed (or appeared) under a conditional write: read it again"
        }
    }
}

extension ObjectStorage {
    /// Writes only if no object has the key; false when another writer got there first.
    package func putIfAbsent(_ key: String, _ body: [UInt8], contentType: String = "application/json") async throws -> Bool {
        do {
            try await put(key, body, contentType: contentType, condition: .absent, sensitive: false)
            return true
        } catch ObjectStorageError.conditionFailed {
            return false
        }
    }

    @discardableResult
    package func put(_ key: String, _ body: [UInt8], contentType: String = "application/octet-stream") async throws -> String? {
        try await put(key, body, contentType: contentType, condition: nil, sensitive: false)
    }

    /// Every key under `prefix`, following pages, up to `limit` keys.
    package func listAll(prefix: String, limit: Int = 100_000) async throws -> [StoredKey] {
        var all: [StoredKey] = []
        var continuation: String?
        repeat {
            let page = try await list(prefix: prefix, startAfter: nil, continuation: continuation, maxKeys: nil)
            all.append(contentsOf: page.keys)
            continuation = page.continuation
        } while continuation != nil && all.count < limit
        return Array(all.prefix(limit))
    }
}
