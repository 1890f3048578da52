/// SigV4's canonical request, built as bytes: it is hashed on every call and read as text only by tests.
struct CanonicalRequest {
    let bytes: [UInt8]
    /// Where the `SignedHeaders` list (lower-cased names, sorted by byte, joined by `;`) sits in `bytes`.
    let signedHeadersRange: Range<Int>

    init(method: String, uri: String, query: String, headers: [(name: String, value: String)], payloadHash: String) {
        var capacity = method.utf8.count + uri.utf8.count + query.utf8.count + payloadHash.utf8.count + 8
        for header in headers { capacity += 2 * header.name.utf8.count + header.value.utf8.count + 3 }
        var range = 0..<0
        bytes = ByteWriter.bytes(capacity: capacity) { out in
            for byte in method.utf8 { out.write(Self.asciiUppercased(byte)) }
            out.write(0x0A)
            out.write(uri)
            out.write(0x0A)
            out.write(query)
            out.write(0x0A)
            var previous: String?
            for header in headers {
                if let previous, ASCII.same(header.name, previous) {
                    out.write(UInt8(ascii: ","))
                } else {
                    if previous != nil { out.write(0x0A) }
                    out.write(header.name)
                    out.write(UInt8(ascii: ":"))
                    previous = header.name
                }
                out.write(header.value)
            }
            if previous != nil { out.write(0x0A) }
            out.write(0x0A)
            let start = out.count
            previous = nil
            for header in headers {
                if let previous {
                    if ASCII.same(header.name, previous) { continue }
                    out.write(UInt8(ascii: ";"))
                }
                out.write(header.name)
                previous = header.name
            }
            range = out.written(from: start)
            out.write(0x0A)
            out.write(payloadHash)
        }
        signedHeadersRange = range
    }

    var signedHeaders: ArraySlice<UInt8> { bytes[signedHeadersRange] }

    static func asciiUppercased(_ byte: UInt8) -> UInt8 {
        (0x61...0x7A).contains(byte) ? byte & 0xDF : byte
    }
}
