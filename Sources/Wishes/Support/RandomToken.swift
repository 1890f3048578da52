/// Secrets as credentials endpoints make them: random bytes from the system's generator (getrandom).
/// (They are compared with `Fingerprint.constantTimeEqual`.)
public enum RandomToken {
    /// `bytes` random bytes as lowercase hex (twice as many characters).
    public static func hex(_ bytes: Int) -> String {
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
