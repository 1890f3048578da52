import Testing

@testable import WishesAWS

/// The text helpers that stand in for _StringProcessing's, against the standard library's own
/// answers on the same inputs (the tests may link _StringProcessing; the binaries do not).
@Suite struct EssentialsTextTests {
    static let haystacks = [
        "", "a", "https://example.com/x://y", "://", "aaab", "ababac", "héllo wörld", "x{region}y{region}", "+a++b+", "no such",
        "No such file or directory", "🎉://🎉",
    ]
    static let needles = ["://", "a", "ab", "abac", "ö", "{region}", "+", "No such file", "🎉", "zzz", "aab"]

    @Test func firstRangeFindsWhatTheStandardLibraryFinds() {
        for haystack in Self.haystacks {
            for needle in Self.needles {
                let ours = haystack.firstRange(ofText: needle).map { haystack[$0] }
                let library = haystack.firstRange(of: needle).map { haystack[$0] }
                #expect(ours == library, "\(needle) in \(haystack)")
                #expect(haystack.containsText(needle) == haystack.contains(needle))
                #expect(haystack.replacingText(needle, with: "<>") == haystack.replacing(needle, with: "<>"))
            }
        }
    }

    @Test func splitOnceCutsAtTheFirstSeparatorOnly() throws {
        let (before, after) = try #require("https://host/a://b".splitOnce(atText: "://"))
        #expect(before == "https" && after == "host/a://b")
        #expect("no separator".splitOnce(atText: "://") == nil)
        let (empty, rest) = try #require("://x".splitOnce(atText: "://"))
        #expect(empty.isEmpty && rest == "x")
        #expect("abc".replacingText("", with: "x") == "abc", "an empty target replaces nothing")
    }
}
