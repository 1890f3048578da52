import Crypto
import Wishes
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `idempotency/{sha256(key)}` holds: the wish an Idempotency-Key created, and a fingerprint of
/// the request that created it, so a key used again with another body is refused rather than
/// silently answered with the first wish.
struct IdempotencyClaim: Codable, Sendable, Equatable {
    var id: WishID
    /// HMAC-SHA256 of the canonical spec, keyed with the Idempotency-Key itself. The spec holds the
    /// environment's values; keyed by the key (of which S3 keeps only a hash), the fingerprint lets
    /// no reader of the bucket test guesses of a secret value. Nil in claims written before it existed.
    var request: String?
    /// Set once the wish's message is sent. A claim without it is of a call that is still going, or
    /// that died between its claim and its message: a retry sends the message again.
    var queued: Bool?

    /// The fingerprint of `spec` as submitted: parsed, so key order, spacing and number spelling do
    /// not count as a different body, and before the server's defaults are filled in, so a change of
    /// `WISHES_DEFAULT_TIMEOUT_SECONDS` between a call and its retry does not either.
    static func fingerprint(key: String, spec: WishSpec) throws -> String {
        let canonical = try WishJSON.encode(spec)
        return Fingerprint.hmacSHA256(key: key, canonical)
    }

    /// The S3 key's name part: the Idempotency-Key is the client's, and may be anything.
    static func keyHash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).hexString
    }

    /// Reads a claim: JSON, or the bare wish id that claims held before they had a fingerprint.
    static func parse(_ bytes: [UInt8]) -> IdempotencyClaim? {
        if let claim = try? WishJSON.decode(IdempotencyClaim.self, from: bytes) { return claim }
        return WishID(String(decoding: bytes, as: UTF8.self)).map { IdempotencyClaim(id: $0, request: nil, queued: true) }
    }
}
