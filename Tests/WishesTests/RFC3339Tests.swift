import Testing
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite struct RFC3339Tests {
    @Test func aTimeReadBackAndWrittenAgainKeepsItsMilliseconds() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Years 1970 to about 2100, any millisecond.
            let milliseconds = Int64.random(in: 0..<4_102_444_800_000, using: &generator)
            let text = RFC3339.format(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            let again = try #require(RFC3339.parse(text), "\(text) does not parse")
            #expect(RFC3339.format(again) == text)
            #expect(Int64((again.timeIntervalSince1970 * 1000).rounded()) == milliseconds)
        }
    }

    @Test func formatWritesUTCWithThreeDigitsOfMilliseconds() throws {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_796_636_278.007)) == "2026-12-07T09:37:58.007Z")
        // 0.9996 s rounds up into the next second instead of printing 1000 milliseconds.
        #expect(RFC3339.format(Date(timeIntervalSince1970: 59.9996)) == "1970-01-01T00:01:00.000Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750Z")
    }

    @Test func parseTakesOffsetsAndWholeSeconds() throws {
        let offset = try #require(RFC3339.parse("2026-12-07T10:37:58.5+01:00"))
        #expect(RFC3339.format(offset) == "2026-12-07T09:37:58.500Z")
        let whole = try #require(RFC3339.parse("2026-12-07T09:37:58Z"))
        #expect(RFC3339.format(whole) == "2026-12-07T09:37:58.000Z")
        #expect(RFC3339.parse("2026-12-07 09:37:58") == nil)
    }

    @Test func theHandWrittenFormAgreesWithFoundationsFormatStyleEverywhere() throws {
        var generator = SystemRandomNumberGenerator()
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        // Years 1583 to 9999 (Foundation's calendar is Julian before the Gregorian reform; RFC 3339's
        // is Gregorian throughout), and the leap days and year ends the calendar arithmetic turns on.
        var seconds = (0..<20_000).map { _ in Int64.random(in: -12_212_553_600..<253_402_300_800, using: &generator) }
        seconds += [951_782_400, 4_107_456_000, 1_709_164_800, 946_684_799, -2_203_891_200, -1]
        for second in seconds {
            let date = Date(timeIntervalSince1970: Double(second))
            let ours = RFC3339.format(date)
            #expect(ours == date.formatted(style), "second \(second)")
            let foundation = try #require(try? Date(ours, strategy: style))
            #expect(RFC3339.parse(ours) == foundation, "\(ours)")
        }
    }

    @Test func parseRefusesImpossibleDatesAndTrailingText() {
        #expect(RFC3339.parse("2026-02-29T00:00:00Z") == nil)
        #expect(RFC3339.parse("2026-13-01T00:00:00Z") == nil)
        #expect(RFC3339.parse("2026-12-07T24:00:00Z") == nil)
        #expect(RFC3339.parse("2026-12-07T09:37:58.Z") == nil)
        #expect(RFC3339.parse("2026-12-07T09:37:58Zjunk") == nil)
        #expect(RFC3339.parse("2024-02-29T00:00:00.123456789123Z").map(RFC3339.format) == "2024-02-29T00:00:00.123Z")
    }
}
