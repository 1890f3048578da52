import Crypto
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Keyed fingerprints (HMAC-SHA256, lower-case hex) for values that must be compared later but not
/// be readable from what is stored or sent: an idempotent request's body, the web's session cookie.
package enum Fingerprint {
    package static func hmacSHA256(key: String, _ message: some DataProtocol) -> String {
        HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(key.utf8))).hexString
    }

    /// Equal strings, compared in time that does not depend on where they differ: a token checked
    /// with `==` tells an attacker, by its timing, how much of a guess was right.
    package static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Secrets as credentials endpoints make them: random bytes from the system's generator (getrandom).
/// (They are compared with `Fingerprint.constantTimeEqual`.)
package enum RandomToken {
    /// `bytes` random bytes as lowercase hex (twice as many characters).
    package static func hex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
