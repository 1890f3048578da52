/// SigV4's canonical request, built as bytes: it is hashed on every call and read as text only by tests.
struct CanonicalRequest {
    var bytes: [UInt8] = []
    /// The `SignedHeaders` list: lower-cased names, sorted by byte, joined by `;`.
    var signedHeaders = ""

    init(method: String, uri: String, query: String, headers: [(name: String, value: String)], payloadHash: String) {
        bytes.reserveCapacity(uri.utf8.count + query.utf8.count + headers.count * 48 + 256)
        bytes.append(contentsOf: method.utf8.lazy.map(Self.asciiUppercased))
        bytes.append(0x0A)
        bytes.append(contentsOf: uri.utf8)
        bytes.append(0x0A)
        bytes.append(contentsOf: query.utf8)
        bytes.append(0x0A)
        var names: [UInt8] = []
        names.reserveCapacity(headers.count * 16)
        var previous: String?
        for header in headers {
            if header.name == previous {
                bytes[bytes.count - 1] = UInt8(ascii: ",")
            } else {
                if previous != nil { names.append(UInt8(ascii: ";")) }
                names.append(contentsOf: header.name.utf8)
                bytes.append(contentsOf: header.name.utf8)
                bytes.append(UInt8(ascii: ":"))
                previous = header.name
            }
            bytes.append(contentsOf: header.value.utf8)
            bytes.append(0x0A)
        }
        bytes.append(0x0A)
        bytes.append(contentsOf: names)
        bytes.append(0x0A)
        bytes.append(contentsOf: payloadHash.utf8)
        signedHeaders = String(decoding: names, as: UTF8.self)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    static func asciiUppercased(_ byte: UInt8) -> UInt8 {
        (0x61...0x7A).contains(byte) ? byte & 0xDF : byte
    }
}
