/// Fixed-width decimal digits, as SigV4's and RFC 3339's timestamps write their fields, without a
/// formatter (the hot paths sign and stamp every request and record).
enum DecimalDigits {
    /// Appends the low `width` digits of `value` (negative as zero), zero-padded.
    static func append(_ value: Int64, width: Int, to bytes: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var value = max(0, value)
        for _ in 0..<width {
            bytes.append(0x30 + UInt8(value / divisor % 10))
            value %= divisor
            divisor /= 10
        }
    }
}
