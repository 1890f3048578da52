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
}
