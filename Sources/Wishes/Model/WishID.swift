#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A wish's id: 26 characters of Crockford base32 (a ULID), time-ordered, safe in URLs and S3 keys.
///
/// The only way to get one from text is `init?(_:)`, which accepts exactly that alphabet, so an id
/// taken from a URL can never carry `/`, `..` or anything else that would escape its S3 prefix.
public struct WishID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, LosslessStringConvertible {
    public let rawValue: String
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    public init?(_ text: String) {
        let lower = text.lowercased()
        guard lower.utf8.count == 26, lower.utf8.allSatisfy({ Self.alphabet.contains($0) }),
            let first = lower.utf8.first, first <= UInt8(ascii: "7")
        else { return nil }
        rawValue = lower
    }

    /// A new id for `date`: 48 bits of milliseconds, then 80 random bits.
    public static func generate(at date: Date) -> WishID {
        var generator = SystemRandomNumberGenerator()
        return generate(at: date, using: &generator)
    }

    public static func generate(at date: Date, using generator: inout some RandomNumberGenerator) -> WishID {
        let millis = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded())) & 0xFFFF_FFFF_FFFF
        var chars: [UInt8] = []
        chars.reserveCapacity(26)
        for shift in stride(from: 45, through: 0, by: -5) {
            chars.append(alphabet[Int((millis >> UInt64(shift)) & 31)])
        }
        for _ in 0..<16 {
            chars.append(alphabet[Int(generator.next() & 31)])
        }
        return WishID(uncheckedRawValue: String(decoding: chars, as: UTF8.self))
    }

    private init(uncheckedRawValue: String) {
        rawValue = uncheckedRawValue
    }

    /// When the id was made, to the millisecond.
    public var date: Date {
        var millis: UInt64 = 0
        for byte in rawValue.utf8.prefix(10) {
            millis = millis << 5 | UInt64(Self.alphabet.firstIndex(of: byte) ?? 0)
        }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    public var description: String { rawValue }
    public static func < (lhs: WishID, rhs: WishID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = WishID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text.prefix(40))' is not a wish id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
