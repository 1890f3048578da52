/// Byte-level helpers for header names, which are ASCII: `lowercased()` and `<` on `String` would
/// consult Unicode tables and allocate for every header of every request.
enum ASCII {
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    static func lowercased(_ text: String) -> String {
        withBytes(text) { bytes in
            guard bytes.contains(where: { (0x41...0x5A).contains($0) }) else { return text }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                for index in bytes.indices { out[index] = lower(bytes[index]) }
                return bytes.count
            }
        }
    }

    /// The UTF-8 bytes of `text` without a copy (native strings), or through a copy (bridged ones).
    @inline(__always)
    static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }

    /// Whether `text` equals `lowercaseName` ignoring ASCII case; `lowercaseName` is already lower-case.
    static func equalsIgnoringCase(_ text: String, _ lowercaseName: String) -> Bool {
        guard text.utf8.count == lowercaseName.utf8.count else { return false }
        return withBytes(text) { a in
            withBytes(lowercaseName) { b in
                for index in a.indices where lower(a[index]) != b[index] { return false }
                return true
            }
        }
    }

    /// Byte equality: `==` on `String` compares canonical equivalence, which SigV4 does not want
    /// and which costs a normalization check for every pair that differs.
    static func same(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return withBytes(a) { a in
            withBytes(b) { b in
                for index in a.indices where a[index] != b[index] { return false }
                return true
            }
        }
    }

    /// Byte order, as SigV4 sorts names and query parameters.
    static func precedes(_ a: String, _ b: String) -> Bool {
        withBytes(a) { a in
            withBytes(b) { b in
                let common = Swift.min(a.count, b.count)
                for index in 0..<common where a[index] != b[index] { return a[index] < b[index] }
                return a.count < b.count
            }
        }
    }
}
