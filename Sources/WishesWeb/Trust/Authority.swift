/// A host and an optional port, as the `Host` header, an `Origin` and `WISHES_WEB_ALLOWED_HOSTS`
/// write them: `example.com`, `127.0.0.1:8080`, `[::1]:8080`.
///
/// Host names are compared lower-cased and without a trailing dot (`LOCALHOST.` is `localhost`);
/// IPv6 addresses keep their brackets. Anything else a header could smuggle in (spaces, `@`, `/`,
/// a second colon outside brackets) makes it no authority at all.
public struct Authority: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int?

    public init(host: String, port: Int? = nil) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        var host: Substring
        var rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[...close]
            rest = text[text.index(after: close)...]
            let inside = host.dropFirst().dropLast()
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            rest = text[colon...]
        } else {
            host = text[...]
            rest = ""
        }
        if host.hasSuffix("."), !host.hasPrefix("[") { host = host.dropLast() }
        guard !host.isEmpty, host.hasPrefix("[") || host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
        else {
            return nil
        }
        self.host = host.lowercased()
        if rest.isEmpty {
            port = nil
        } else {
            guard rest.first == ":", let number = Int(rest.dropFirst()), rest.count <= 6, (1...65535).contains(number),
                rest.dropFirst().allSatisfy(\.isNumber)
            else { return nil }
            port = number
        }
    }

    public var description: String { port.map { "\(host):\($0)" } ?? host }

    /// The names of this machine's loopback interface, which no other machine can be reached by.
    public static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1", "[::1]"]

    public var isLoopback: Bool { Self.loopbackHosts.contains(host) }
}
