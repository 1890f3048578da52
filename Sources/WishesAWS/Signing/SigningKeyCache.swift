import NIOConcurrencyHelpers

/// Derived SigV4 signing keys, kept for the day they are valid.
///
/// The key depends only on the secret, the day, the region and the service, so deriving it (four
/// HMACs) once per day instead of once per request is what the AWS SDKs do too. Bounded: the cache
/// starts over when it holds more keys than any process here uses.
final class SigningKeyCache: Sendable {
    struct Scope: Hashable {
        var secret: String
        var day: String
        var region: String
        var service: String
    }

    static let shared = SigningKeyCache()
    static let capacity = 32

    private struct Entries {
        var keys: [Scope: SigningKey] = [:]
        /// The key asked for last: one process signs with one scope per service, so this is
        /// nearly always the answer, found without hashing the secret.
        var last: (scope: Scope, key: SigningKey)?
    }

    private let entries = NIOLockedValueBox(Entries())

    func key(for scope: Scope) -> SigningKey {
        let cached = entries.withLockedValue { entries -> SigningKey? in
            if let last = entries.last, last.scope == scope { return last.key }
            guard let key = entries.keys[scope] else { return nil }
            entries.last = (scope, key)
            return key
        }
        if let cached { return cached }
        let derived = SigningKey.derive(secret: scope.secret, day: scope.day, region: scope.region, service: scope.service)
        entries.withLockedValue { entries in
            if entries.keys.count >= Self.capacity { entries.keys.removeAll(keepingCapacity: true) }
            entries.keys[scope] = derived
            entries.last = (scope, derived)
        }
        return derived
    }
}
