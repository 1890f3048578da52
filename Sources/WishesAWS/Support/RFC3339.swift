#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// RFC 3339 timestamps, with or without fractional seconds, any offset.
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        // Both styles take +hh:mm offsets as well as Z (ISO8601DateFormatter, which full Foundation's ICU
        // backs, is no longer needed for them).
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// UTC with milliseconds. The milliseconds are rounded, not truncated: a parsed `.123` is a double a
    /// hair below it, and the format style's truncation would print `.122`, so every read-then-write of a
    /// stored time would drift back a millisecond.
    public static func format(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let (seconds, fraction) = Int64(milliseconds).quotientAndRemainder(dividingBy: 1000)
        // Whole seconds as a Double are exact, so the style has nothing left to truncate.
        let (wholeSeconds, millis) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let base = Date(timeIntervalSince1970: Double(wholeSeconds)).formatted(Date.ISO8601FormatStyle())
        let digits = String(millis)
        return base.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}
