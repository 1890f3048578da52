#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// RFC 3339 timestamps, with or without fractional seconds, any offset.
///
/// Every status, claim and index entry carries times, so both directions run several times per
/// dispatched wish. Foundation's format style builds a calendar per call (2.5 % of the dispatcher's
/// CPU in the profile of 2026-12-07); the form we write ourselves is printed and read by hand, and
/// anything else goes to Foundation.
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        switch parseUTC(text) {
        case .date(let date): return date
        case .impossible: return nil
        case .otherForm: break
        }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        // Both styles take +hh:mm offsets as well as Z (ISO8601DateFormatter, which full Foundation's ICU
        // backs, is no longer needed for them).
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// UTC with milliseconds. The milliseconds are rounded, not truncated: a parsed `.123` is a double a
    /// hair below it, and truncation would print `.122`, so every read-then-write of a stored time would
    /// drift back a millisecond.
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, inDay) = floorDivide(milliseconds, 86_400_000)
        let (year, month, day) = AMZDate.civil(fromDays: days)
        var bytes = [UInt8]()
        bytes.reserveCapacity(24)
        func put(_ value: Int64, digits: Int) { DecimalDigits.append(value, width: digits, to: &bytes) }
        // Years outside 0...9999 are not RFC 3339; Foundation prints them its own way.
        guard (0...9999).contains(year) else {
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        put(year, digits: 4)
        bytes.append(UInt8(ascii: "-"))
        put(month, digits: 2)
        bytes.append(UInt8(ascii: "-"))
        put(day, digits: 2)
        bytes.append(UInt8(ascii: "T"))
        put(inDay / 3_600_000, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        put(inDay / 60_000 % 60, digits: 2)
        bytes.append(UInt8(ascii: ":"))
        put(inDay / 1000 % 60, digits: 2)
        bytes.append(UInt8(ascii: "."))
        put(inDay % 1000, digits: 3)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    enum Parsed: Equatable {
        case date(Date)
        /// The UTC form, with a day or time no calendar has, or text after its `Z`: Foundation's
        /// parser would roll 24:00 and February 29th of 2026 into the next day and ignore the rest.
        case impossible
        /// Not the UTC form (an offset, say): Foundation reads it.
        case otherForm
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff…]Z`, what `format` and AWS write, in the proleptic Gregorian calendar
    /// RFC 3339 names (Foundation's is Julian before 1582).
    static func parseUTC(_ text: String) -> Parsed {
        var utf8 = text.utf8[...]
        func number(_ count: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<count {
                guard let byte = utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                utf8 = utf8.dropFirst()
            }
            return value
        }
        func skip(_ separators: String) -> Bool {
            guard let byte = utf8.first, separators.utf8.contains(byte) else { return false }
            utf8 = utf8.dropFirst()
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2), skip("Tt"),
            let hour = number(2), skip(":"), let minute = number(2), skip(":"), let second = number(2)
        else { return .otherForm }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60, second < 60 else {
            return .impossible
        }
        var fraction = 0.0
        if skip(".") {
            // Digits past nanoseconds are below a Double's resolution for today's times; they are read, not kept.
            var value: Int64 = 0
            var scale: Int64 = 1
            var digits = 0
            while let byte = utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                if digits < 9 {
                    value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                    scale *= 10
                }
                digits += 1
                utf8 = utf8.dropFirst()
            }
            guard digits > 0 else { return .impossible }
            fraction = Double(value) / Double(scale)
        }
        if let sign = utf8.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { return .otherForm }
        guard skip("Zz"), utf8.isEmpty else { return .impossible }
        let seconds = days(fromCivil: year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        return .date(Date(timeIntervalSince1970: Double(seconds) + fraction))
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days-from-civil (the inverse of `AMZDate.civil`): the proleptic Gregorian
    // calendar in eras of 400 years, so no table and no loop.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
