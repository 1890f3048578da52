#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address, read from any of the spellings a resolver accepts, and the range it
/// belongs to when that range is not the public internet.
///
/// A callback must not reach into the stack's own network: its loopback, the metadata and
/// credentials endpoints (169.254.169.254, 169.254.170.2, fd00:ec2::254), the VPC's private
/// ranges. An attacker does not write `127.0.0.1`; they write `2130706433`, `0x7f.1`, `0177.0.0.1`,
/// `[::ffff:7f00:1]` or `[64:ff9b::a9fe:a9fe]`. Each is read here as the C resolver reads it
/// (`inet_aton` takes the decimal, octal, hex and short forms; `inet_pton` every IPv6 form), and
/// IPv6 addresses that carry an IPv4 one (mapped, compatible, NAT64, 6to4) are judged by it.
public enum NetworkAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])

    /// Parses a literal address as `getaddrinfo` would, brackets allowed around IPv6; nil for a name.
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        // A trailing dot is still the same address to some resolvers.
        if text.hasSuffix("."), !text.contains(":") { text = text.dropLast() }
        guard !text.isEmpty, !text.contains("\0") else { return nil }
        let string = String(text)
        if string.contains(":") {
            // Raw bytes rather than in6_addr's members: which C module those belong to differs between
            // builds (the static SDK's Glibc or NIO's shims), and Swift checks that it is imported.
            var bytes = [UInt8](repeating: 0, count: 16)
            guard inet_pton(AF_INET6, string, &bytes) == 1 else { return nil }
            self = .v6(bytes)
            return
        }
        // inet_aton takes "127.1", "2130706433", "0x7f.0.0.1" and "0177.0.0.1", as getaddrinfo does.
        guard string.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == "x" || $0 == "X" }) else {
            return nil
        }
        var word: UInt32 = 0
        let parsed = withUnsafeMutablePointer(to: &word) {
            $0.withMemoryRebound(to: in_addr.self, capacity: 1) { inet_aton(string, $0) }
        }
        guard parsed != 0 else { return nil }
        self = .v4(UInt32(bigEndian: word))
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
        case .v6(let bytes):
            guard bytes.count == 16 else { return "?" }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, bytes, &buffer, socklen_t(buffer.count)) != nil else {
                return "?"
            }
            return String(
                decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The range this address is in, when it is not one a callback may reach; nil for a public address.
    public var restriction: Restriction? {
        switch self {
        case .v4(let value): return Self.restriction(v4: value)
        case .v6(let bytes): return Self.restriction(v6: bytes)
        }
    }

    public enum Restriction: String, Sendable, Equatable {
        case loopback, unspecified, metadata
        case linkLocal = "link-local"
        case `private`
        case shared = "shared (carrier-grade NAT)"
        case multicast, broadcast, reserved, documentation
        case uniqueLocal = "unique local (IPv6 private)"
        case tunnel = "a tunnel that hides its IPv4 address (Teredo)"
    }

    static func restriction(v4 value: UInt32) -> Restriction? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool {
            bits == 0 || value >> (32 - bits) == base >> (32 - bits)
        }
        let a: UInt32 = 1 << 24
        let b: UInt32 = 1 << 16
        let c: UInt32 = 1 << 8
        if value == 169 * a + 254 * b + 169 * c + 254 || value == 169 * a + 254 * b + 170 * c + 2 {
            return .metadata
        }
        if value == 0xFFFF_FFFF { return .broadcast }
        let ranges: [(UInt32, UInt32, Restriction)] = [
            (0, 8, .unspecified), (127 * a, 8, .loopback), (169 * a + 254 * b, 16, .linkLocal),
            (10 * a, 8, .private), (172 * a + 16 * b, 12, .private), (192 * a + 168 * b, 16, .private),
            (100 * a + 64 * b, 10, .shared), (192 * a, 24, .reserved), (198 * a + 18 * b, 15, .reserved),
            (192 * a + 0 * b + 2 * c, 24, .documentation),
            (198 * a + 51 * b + 100 * c, 24, .documentation),
            (203 * a + 0 * b + 113 * c, 24, .documentation), (192 * a + 88 * b + 99 * c, 24, .reserved),
            (224 * a, 4, .multicast), (240 * a, 4, .reserved),
        ]
        return ranges.first { within($0.0, $0.1) }?.2
    }

    static func restriction(v6 bytes: [UInt8]) -> Restriction? {
        guard bytes.count == 16 else { return .reserved }
        func v4(at offset: Int) -> UInt32 {
            bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let zeros = bytes.prefix(10).allSatisfy { $0 == 0 }
        if bytes.allSatisfy({ $0 == 0 }) { return .unspecified }
        if bytes.prefix(15).allSatisfy({ $0 == 0 }), bytes[15] == 1 { return .loopback }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) reach the IPv4 address they carry.
        if zeros, (bytes[10] == 0xFF && bytes[11] == 0xFF) || (bytes[10] == 0 && bytes[11] == 0) {
            return restriction(v4: v4(at: 12)) ?? (bytes[10] == 0 ? .reserved : nil)
        }
        // NAT64 (64:ff9b::/96 well-known, 64:ff9b:1::/48 local) translates to the IPv4 address inside.
        if bytes[0] == 0x00, bytes[1] == 0x64, bytes[2] == 0xFF, bytes[3] == 0x9B {
            if bytes[4...11].allSatisfy({ $0 == 0 }) { return restriction(v4: v4(at: 12)) }
            if bytes[4] == 0, bytes[5] == 1 { return .private }
        }
        // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
        if bytes[0] == 0x20, bytes[1] == 0x02 { return restriction(v4: v4(at: 2)) }
        if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] == 0, bytes[3] == 0 { return .tunnel }
        if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] == 0x0D, bytes[3] == 0xB8 {
            return .documentation
        }
        if bytes[0] == 0xFD, bytes[1] == 0x00, bytes[2] == 0x0E, bytes[3] == 0xC2 { return .metadata }
        if bytes[0] & 0xFE == 0xFC { return .uniqueLocal }
        if bytes[0] == 0xFE, bytes[1] & 0xC0 == 0x80 { return .linkLocal }
        if bytes[0] == 0xFE, bytes[1] & 0xC0 == 0xC0 { return .private }  // site-local, deprecated but routed by some
        if bytes[0] == 0xFF { return .multicast }
        if bytes[0] == 0x01, bytes[1] == 0x00, bytes[2...7].allSatisfy({ $0 == 0 }) { return .reserved }  // discard-only 100::/64
        // Global unicast is 2000::/3; anything else is not routed on the internet.
        if bytes[0] & 0xE0 != 0x20 { return .reserved }
        return nil
    }
}
