/// A small XML reader for S3's answers: elements, text, entities, CDATA, comments.
///
/// Written here instead of FoundationXML so that the binaries link statically without libxml2
/// (Lambda's Amazon Linux has none to lend).
package struct XMLTree: Sendable, Equatable {
    package var name: String
    package var text: String
    package var children: [XMLTree]

    package enum ParseError: Error, Equatable {
        case malformed(String, offset: Int)
    }

    package func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    package func children(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }

    package static func parse(_ bytes: [UInt8]) throws(ParseError) -> XMLTree {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        func fail(_ reason: String) -> ParseError { .malformed(reason, offset: index) }

        // Literals compare in place: the parser asks at every `<`, so nothing here may allocate.
        func starts(with literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            return literal.withUTF8Buffer { expected in
                for offset in 0..<count where bytes[index + offset] != expected[offset] { return false }
                return true
            }
        }

        mutating func skip(past literal: StaticString) throws(ParseError) {
            let count = literal.utf8CodeUnitCount
            while index + count <= bytes.count {
                if starts(with: literal) {
                    index += count
                    return
                }
                index += 1
            }
            throw fail("unterminated construct, expected \(literal)")
        }

        mutating func skipMisc() throws(ParseError) {
            while index < bytes.count {
                if isSpace(bytes[index]) {
                    index += 1
                } else if starts(with: "<?") {
                    try skip(past: "?>")
                } else if starts(with: "<!--") {
                    try skip(past: "-->")
                } else if starts(with: "<!DOCTYPE") {
                    try skip(past: ">")
                } else {
                    return
                }
            }
        }

        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

        static func endsName(_ byte: UInt8) -> Bool { byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=") }

        mutating func document() throws(ParseError) -> XMLTree {
            try skipMisc()
            let root = try element()
            try skipMisc()
            guard index == bytes.count else { throw fail("content after the root element") }
            return root
        }

        mutating func name() throws(ParseError) -> String {
            let start = index
            while index < bytes.count, !isSpace(bytes[index]), !Self.endsName(bytes[index]) {
                index += 1
            }
            guard index > start else { throw fail("expected a name") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func element() throws(ParseError) -> XMLTree {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw fail("expected an element") }
            index += 1
            let tag = try name()
            // Attributes (S3 sends only xmlns) are skipped, quoted values included.
            while index < bytes.count, bytes[index] != UInt8(ascii: ">"), bytes[index] != UInt8(ascii: "/") {
                if bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                    let quote = bytes[index]
                    index += 1
                    while index < bytes.count, bytes[index] != quote { index += 1 }
                }
                index += 1
            }
            guard index < bytes.count else { throw fail("unterminated tag <\(tag)>") }
            if bytes[index] == UInt8(ascii: "/") {
                index += 1
                guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw fail("bad empty tag <\(tag)/>") }
                index += 1
                return XMLTree(name: tag, text: "", children: [])
            }
            index += 1
            var text: [UInt8] = []
            var children: [XMLTree] = []
            while true {
                guard index < bytes.count else { throw fail("unclosed element <\(tag)>") }
                let byte = bytes[index]
                if byte != UInt8(ascii: "<"), byte != UInt8(ascii: "&") {
                    // A run of plain text goes over in one copy.
                    let start = index
                    while index < bytes.count, bytes[index] != UInt8(ascii: "<"), bytes[index] != UInt8(ascii: "&") { index += 1 }
                    text.append(contentsOf: bytes[start..<index])
                } else if starts(with: "</") {
                    index += 2
                    let closing = try name()
                    guard closing == tag else { throw fail("</\(closing)> closes <\(tag)>") }
                    while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw fail("bad closing tag") }
                    index += 1
                    return XMLTree(name: tag, text: String(decoding: text, as: UTF8.self), children: children)
                } else if starts(with: "<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text.append(contentsOf: bytes[start..<index - 3])
                } else if starts(with: "<!--") || starts(with: "<?") {
                    try skipMisc()
                } else if byte == UInt8(ascii: "<") {
                    children.append(try element())
                } else {
                    text.append(contentsOf: try entity())
                }
            }
        }

        mutating func entity() throws(ParseError) -> [UInt8] {
            let start = index + 1
            guard let end = bytes[start...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw fail("bad entity") }
            let body = String(decoding: bytes[start..<end], as: UTF8.self)
            index = end + 1
            switch body {
            case "amp": return [UInt8(ascii: "&")]
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "quot": return [UInt8(ascii: "\"")]
            case "apos": return [UInt8(ascii: "'")]
            default:
                let scalar: UInt32?
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    scalar = UInt32(body.dropFirst(2), radix: 16)
                } else if body.hasPrefix("#") {
                    scalar = UInt32(body.dropFirst())
                } else {
                    scalar = nil
                }
                guard let scalar, let unicode = Unicode.Scalar(scalar) else { throw fail("unknown entity &\(body);") }
                return Array(String(Character(unicode)).utf8)
            }
        }
    }
}
