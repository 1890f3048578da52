extension Sequence where Element == UInt8 {
    /// Lower-case hex, as SigV4 writes hashes and signatures.
    var hexString: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        out.appendHex(self)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Appends `bytes` as lower-case hex, without an intermediate string.
    mutating func appendHex(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            append(Self.hexDigit(byte >> 4))
            append(Self.hexDigit(byte & 0x0F))
        }
    }

    mutating func appendHex(_ bytes: UnsafeRawBufferPointer) {
        reserveCapacity(count + bytes.count * 2)
        for byte in bytes {
            append(Self.hexDigit(byte >> 4))
            append(Self.hexDigit(byte & 0x0F))
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    mutating func append(_ text: String) {
        ASCII.withBytes(text) { append(contentsOf: $0) }
    }
}
