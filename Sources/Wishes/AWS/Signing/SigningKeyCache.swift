import Crypto
import NIOConcurrencyHelpers

/// Derived SigV4 signing keys, kept for the day they are valid.
///
/// The key depends only on the secret, the day, the region and the service, so deriving it (four
/// HMACs) once per day instead of once per request is what the AWS SDKs do too. Bounded: the cache
/// starts over when it holds more keys than any process here uses.
final class SigningKeyCache: Sendable {
    struct Scope: Hashable {
        var secret: String
        var day: Substring
        var region: String
        var service: String
    }

    static let shared = SigningKeyCache()
    static let capacity = 32

    // Raw bytes, because `SymmetricKey` is not `Sendable`.
    private let keys = NIOLockedValueBox<[Scope: [UInt8]]>([:])

    func key(for scope: Scope) -> SymmetricKey {
        if let key = keys.withLockedValue({ $0[scope] }) { return SymmetricKey(data: key) }
        let derived = Self.derive(scope)
        let key = derived.withUnsafeBytes { Array($0) }
        keys.withLockedValue { keys in
            if keys.count >= Self.capacity { keys.removeAll(keepingCapacity: true) }
            keys[scope] = key
        }
        return derived
    }

    static func derive(_ scope: Scope) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: some StringProtocol) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
        }
        let kDate = hmac(SymmetricKey(data: Array("AWS4\(scope.secret)".utf8)), scope.day)
        return hmac(hmac(hmac(kDate, scope.region), scope.service), "aws4_request")
    }
}
