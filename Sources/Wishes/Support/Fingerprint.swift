import Crypto
import Foundation

/// Keyed fingerprints (HMAC-SHA256, lower-case hex) for values that must be compared later but not
/// be readable from what is stored or sent: an idempotent request's body, the web's session cookie.
public enum Fingerprint {
    public static func hmacSHA256(key: String, _ message: some DataProtocol) -> String {
        HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(key.utf8))).hexString
    }

    /// Equal strings, compared in time that does not depend on where they differ: a token checked
    /// with `==` tells an attacker, by its timing, how much of a guess was right.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
