/// Writes into an array's reserved storage with plain copies: the canonical request and the string
/// to sign are built on every request, and `append` checks capacity and uniqueness per call.
struct ByteWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0

    /// Fills a new array of at most `capacity` bytes; writing past it traps.
    static func bytes(capacity: Int, _ body: (inout ByteWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var writer = ByteWriter(base: base, capacity: capacity)
            body(&writer)
            initialized = writer.count
        }
    }

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(count + bytes.count <= capacity, "ByteWriter capacity")
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func write(_ text: String) {
        ASCII.withBytes(text) { write($0) }
    }

    mutating func write(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    mutating func write(_ byte: UInt8) {
        precondition(count < capacity, "ByteWriter capacity")
        base[count] = byte
        count += 1
    }

    mutating func writeHex(_ bytes: UnsafeRawBufferPointer) {
        precondition(count + 2 * bytes.count <= capacity, "ByteWriter capacity")
        for byte in bytes {
            base[count] = Hex.digit(byte >> 4)
            base[count + 1] = Hex.digit(byte & 0x0F)
            count += 2
        }
    }

    /// Bytes written so far, from `start`.
    func written(from start: Int) -> Range<Int> { start..<count }
}
