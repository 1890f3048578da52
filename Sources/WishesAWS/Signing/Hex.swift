/// Lower-case hex, as SigV4 writes hashes and signatures.
enum Hex {
    @inline(__always)
    static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digit(byte >> 4)
                out[2 * index + 1] = digit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }
}

extension Sequence where Element == UInt8 {
    package var hexString: String {
        let bytes = Array(self)
        return bytes.withUnsafeBytes(Hex.string)
    }
}
