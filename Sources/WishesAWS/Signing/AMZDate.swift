#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// SigV4's timestamp formats, computed without `DateFormatter` (which is slow and locale-bound).
struct AMZDate: Sendable, Equatable {
    /// `20150830T123600Z`
    let timestamp: String
    /// `20150830`
    let day: String

    init(_ date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        func put(_ value: Int64, _ width: Int) { DecimalDigits.append(value, width: width, to: &bytes) }
        put(year, 4)
        put(month, 2)
        put(day, 2)
        self.day = String(decoding: bytes, as: UTF8.self)
        bytes.append(UInt8(ascii: "T"))
        put(secondOfDay / 3600, 2)
        put(secondOfDay / 60 % 60, 2)
        put(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: "Z"))
        timestamp = String(decoding: bytes, as: UTF8.self)
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
