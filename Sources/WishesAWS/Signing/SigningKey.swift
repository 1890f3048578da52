import Crypto

/// HMAC-SHA256 with its key already absorbed: the inner and outer hashers after the padded key.
///
/// `HMAC(key:)` pads and hashes the key on every call; SigV4 signs many requests with one derived
/// key, so keeping the keyed hashers saves half the hashing of each signature. Copies are
/// independent: a hasher copies its state on its first update (copy-on-write), and the prototypes
/// here are never updated in place, which is why sharing them across threads is safe.
struct SigningKey: @unchecked Sendable {
    private let inner: SHA256
    private let outer: SHA256

    init(_ key: UnsafeRawBufferPointer) {
        var block = [UInt8](repeating: 0, count: SHA256.blockByteCount)
        if key.count > block.count {
            SHA256.hash(data: key).withUnsafeBytes { digest in block.replaceSubrange(0..<digest.count, with: digest) }
        } else {
            block.replaceSubrange(0..<key.count, with: key)
        }
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5C })
        self.inner = inner
        self.outer = outer
    }

    init(_ key: [UInt8]) {
        self = key.withUnsafeBytes { SigningKey($0) }
    }

    func authenticationCode(_ message: UnsafeRawBufferPointer) -> SHA256.Digest {
        var inner = self.inner
        inner.update(bufferPointer: message)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }

    func authenticationCode(_ message: String) -> SHA256.Digest {
        var message = message
        return message.withUTF8 { authenticationCode(UnsafeRawBufferPointer($0)) }
    }

    /// The key SigV4 derives for a day, region and service (four chained HMACs).
    static func derive(secret: String, day: String, region: String, service: String) -> SigningKey {
        func next(_ key: SigningKey, _ text: String) -> SigningKey {
            key.authenticationCode(text).withUnsafeBytes { SigningKey($0) }
        }
        let start = SigningKey(Array("AWS4\(secret)".utf8))
        return next(next(next(next(start, day), region), service), "aws4_request")
    }
}
