import Testing

@testable import WishesAWS
@testable import WishesWeb

/// The page's command field, split as `sh` splits words (POSIX Shell Command Language 2.2), with
/// no expansion.
struct WebShellWordsTests {
    @Test func thePagesOwnPlaceholderIsThreeWords() throws {
        #expect(try ShellWords.split("sh -c 'echo hello'") == ["sh", "-c", "echo hello"])
    }

    @Test func blanksSeparateWordsAndRunsOfThemCountOnce() throws {
        #expect(try ShellWords.split("  echo \t one   two\n three  ") == ["echo", "one", "two", "three"])
        #expect(try ShellWords.split("") == [])
        #expect(try ShellWords.split(" \t ") == [])
    }

    @Test func emptyQuotesGiveAnEmptyArgument() throws {
        #expect(try ShellWords.split("printf '%s|' '' b") == ["printf", "%s|", "", "b"])
        #expect(try ShellWords.split(#""""#) == [""])
        #expect(try ShellWords.split(#"a "" ''"#) == ["a", "", ""])
    }

    @Test func adjacentQuotedAndPlainPartsJoinIntoOneWord() throws {
        #expect(try ShellWords.split(#"a'b'"c"d"#) == ["abcd"])
        #expect(try ShellWords.split(#"--name="John Doe" x"#) == ["--name=John Doe", "x"])
        #expect(try ShellWords.split(#"'it'\''s'"#) == ["it's"])
        #expect(try ShellWords.split("a''b") == ["ab"], "empty quotes inside a word add nothing")
    }

    @Test func singleQuotesKeepEveryCharacterLiteral() throws {
        #expect(try ShellWords.split(#"'a\b "c" $d'"#) == [#"a\b "c" $d"#])
    }

    @Test func insideDoubleQuotesABackslashEscapesOnlyQuoteBackslashDollarAndBacktick() throws {
        #expect(try ShellWords.split(#""a\"b\\c\$d\`e""#) == [#"a"b\c$d`e"#])
        #expect(try ShellWords.split(#""a\nb\'c""#) == [#"a\nb\'c"#], "before any other character the backslash stays")
        #expect(try ShellWords.split("\"one\\\ntwo\"") == ["onetwo"], "a backslash-newline continues the line")
        #expect(try ShellWords.split(#""it's""#) == ["it's"])
    }

    @Test func outsideQuotesABackslashKeepsTheNextCharacterLiteral() throws {
        #expect(try ShellWords.split(#"a\ b c"#) == ["a b", "c"])
        #expect(try ShellWords.split(#"\'\"\\"#) == [#"'"\"#])
        #expect(try ShellWords.split("one\\\ntwo") == ["onetwo"], "a backslash-newline continues the line")
    }

    @Test func nothingIsExpandedOrInterpreted() throws {
        #expect(try ShellWords.split("echo $HOME ~ * `date` ; | > #x") == ["echo", "$HOME", "~", "*", "`date`", ";", "|", ">", "#x"])
        #expect(try ShellWords.split(#""$HOME" '*'"#) == ["$HOME", "*"])
    }

    @Test func anUnterminatedSingleQuoteIsAnErrorNamingWhereItOpened() {
        #expect(throws: ShellWords.Failure.unterminatedSingleQuote(offset: 7)) { try ShellWords.split("sh -c 'echo hello") }
        let failure = ShellWords.Failure.unterminatedSingleQuote(offset: 7)
        #expect(failure.description.contains("single quote at character 7 is never closed"))
    }

    @Test func anUnterminatedDoubleQuoteIsAnError() {
        #expect(throws: ShellWords.Failure.unterminatedDoubleQuote(offset: 6)) { try ShellWords.split(#"echo "hi"#) }
        #expect(throws: ShellWords.Failure.unterminatedDoubleQuote(offset: 1)) { try ShellWords.split(#""ends in an escape\"#) }
        #expect(throws: ShellWords.Failure.unterminatedDoubleQuote(offset: 3)) { try ShellWords.split(#"a "'b'"#) }
        #expect(ShellWords.Failure.unterminatedDoubleQuote(offset: 6).description.contains("double quote at character 6 is never closed"))
    }

    @Test func aTrailingBackslashIsAnError() {
        #expect(throws: ShellWords.Failure.trailingBackslash) { try ShellWords.split(#"echo a\"#) }
        #expect(ShellWords.Failure.trailingBackslash.description.contains("ends with a backslash"))
    }

    @Test func joinQuotesOnlyWhatNeedsItAndSplitReadsItBack() throws {
        #expect(ShellWords.join(["sh", "-c", "echo hello"]) == "sh -c 'echo hello'")
        #expect(ShellWords.join(["ls", "-la", "/tmp/a_b.c"]) == "ls -la /tmp/a_b.c")
        #expect(ShellWords.quote("it's") == #"'it'\''s'"#)
        #expect(ShellWords.quote("") == "''")
        for arguments in [["sh", "-c", "echo \"$X\" 'y' \\z"], ["", " ", "\t\n"], ["it's", #"a\b"#, "`date`", "$HOME", "*", "ü ☃"]] {
            #expect(try ShellWords.split(ShellWords.join(arguments)) == arguments, "\(arguments)")
        }
    }
}
