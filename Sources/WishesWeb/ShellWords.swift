import Foundation

/// A command line split into arguments as a POSIX shell splits words, and nothing more: the page's
/// command field takes what a person would type after `$ `, so `sh -c 'echo hello'` is three words.
///
/// Quoting follows POSIX (Shell Command Language, 2.2): outside quotes a backslash keeps the next
/// character literal and blanks end a word; within single quotes every character is literal; within
/// double quotes a backslash escapes only `"`, `\`, `$`, a backtick and a newline, and stays itself
/// before anything else. Adjacent parts join into one word (`a'b'"c"` is `abc`), and quotes with
/// nothing between them give an empty argument.
///
/// No expansion happens: `$HOME`, `*`, `~`, backticks, `;`, `|`, `>` and `#` are plain characters,
/// because the command runs without a shell unless it names one, and a shell it names expands them then.
enum ShellWords {
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// `offset` counts characters from 1, as a person counts them in the field.
        case unterminatedSingleQuote(offset: Int)
        case unterminatedDoubleQuote(offset: Int)
        case trailingBackslash

        var description: String {
            switch self {
            case .unterminatedSingleQuote(let offset):
                "the single quote at character \(offset) is never closed: end the quoted text with ', or write \\' for a quote character"
            case .unterminatedDoubleQuote(let offset):
                "the double quote at character \(offset) is never closed: end the quoted text with \", or write \\\" for a quote character"
            case .trailingBackslash:
                "the command ends with a backslash that escapes nothing: remove it, or write \\\\ for a backslash"
            }
        }
    }

    static func split(_ line: String) throws(Failure) -> [String] {
        var words: [String] = []
        // nil between words; "" inside a word that so far is only empty quotes.
        var word: String?
        var characters = Array(line).makeIterator()
        var offset = 0
        // In place: a field of 64 KiB is one long word at worst.
        func add(_ text: some StringProtocol) {
            if word == nil { word = String(text) } else { word?.append(contentsOf: text) }
        }
        func next() -> Character? {
            guard let character = characters.next() else { return nil }
            offset += 1
            return character
        }
        while let character = next() {
            switch character {
            case " ", "\t", "\n", "\r":
                if let finished = word { words.append(finished) }
                word = nil
            case "\\":
                guard let escaped = next() else { throw .trailingBackslash }
                // A backslash before a newline continues the line: both go.
                if escaped != "\n" { add(String(escaped)) }
            case "'":
                let start = offset
                var quoted = ""
                while true {
                    guard let inner = next() else { throw .unterminatedSingleQuote(offset: start) }
                    if inner == "'" { break }
                    quoted.append(inner)
                }
                add(quoted)
            case "\"":
                let start = offset
                var quoted = ""
                while true {
                    guard let inner = next() else { throw .unterminatedDoubleQuote(offset: start) }
                    if inner == "\"" { break }
                    if inner == "\\" {
                        guard let escaped = next() else { throw .unterminatedDoubleQuote(offset: start) }
                        switch escaped {
                        case "\"", "\\", "$", "`": quoted.append(escaped)
                        case "\n": break
                        default: quoted += "\\" + String(escaped)
                        }
                        continue
                    }
                    quoted.append(inner)
                }
                add(quoted)
            default:
                add(String(character))
            }
        }
        if let finished = word { words.append(finished) }
        return words
    }

    /// Arguments written back as one line that `split` (and a shell) reads as the same arguments:
    /// words of only safe characters as they are, any other in single quotes.
    static func join(_ arguments: [String]) -> String {
        arguments.map(quote).joined(separator: " ")
    }

    static func quote(_ argument: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")
        if !argument.isEmpty, argument.allSatisfy(safe.contains) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
