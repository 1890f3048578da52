import Crypto
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Signs callbacks the way Standard Webhooks (standardwebhooks.com) does, so receivers can use its
/// libraries or ten lines of their own:
///
/// ```
/// webhook-id:        the wish id (the same on every try: receivers drop repeats by it)
/// webhook-timestamp: seconds since 1970 when this try was signed
/// webhook-signature: v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>
/// ```
///
/// The key is the UTF-8 bytes of the stack's signing secret (Secrets Manager); Standard Webhooks'
/// libraries take it as `whsec_` + base64 of those bytes. A receiver should refuse a timestamp more
/// than five minutes from its clock, so a captured request cannot be replayed later.
package struct CallbackSignature: Sendable {
    let secret: [UInt8]

    package init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    /// A key given as bytes (Standard Webhooks' `whsec_` secrets are base64 of them).
    package init(key: [UInt8]) {
        secret = key
    }

    package static let idHeader = "webhook-id"
    package static let timestampHeader = "webhook-timestamp"
    package static let signatureHeader = "webhook-signature"

    /// The three headers for one try.
    package func headers(id: String, timestamp: Date, body: [UInt8]) -> [(String, String)] {
        let seconds = String(Int(timestamp.timeIntervalSince1970))
        return [
            (Self.idHeader, id), (Self.timestampHeader, seconds),
            (Self.signatureHeader, "v1," + sign(id: id, timestamp: seconds, body: body)),
        ]
    }

    func sign(id: String, timestamp: String, body: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message += body
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
            .base64EncodedString()
    }

    /// What a receiver does: true when one of the header's signatures is this key's, and the
    /// timestamp is within `tolerance` of `now`.
    package func verify(
        id: String, timestamp: String, signatureHeader: String, body: [UInt8], now: Date = Date(),
        tolerance: TimeInterval = 300
    ) -> Bool {
        guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= tolerance
        else { return false }
        let expected = "v1," + sign(id: id, timestamp: timestamp, body: body)
        return signatureHeader.split(separator: " ").contains {
            Fingerprint.constantTimeEqual(String($0), expected)
        }
    }
}
