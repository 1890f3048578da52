/// Where one service is reached: scheme, host, port and an optional base path.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int?
    public var basePath: String
    /// Whether this is AWS's own endpoint (virtual-hosted S3) rather than a custom one (path-style).
    public var isAWS: Bool

    public init(scheme: String, host: String, port: Int? = nil, basePath: String = "", isAWS: Bool) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
        self.isAWS = isAWS
    }

    /// Parses `http(s)://host[:port][/path]`; nil for anything else.
    public init?(url: String, isAWS: Bool = false) {
        let parts = url.split(separator: "://", maxSplits: 1)
        guard parts.count == 2, ["http", "https"].contains(parts[0].lowercased()) else { return nil }
        scheme = parts[0].lowercased()
        let rest = parts[1]
        let authority = rest.prefix { $0 != "/" }
        basePath = rest.dropFirst(authority.count).trimmingSuffix("/")
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains("?") else { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else { return nil }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            host = String(authority)
            port = nil
        }
        self.isAWS = isAWS
    }

    /// `host` or `host:port`, as the Host header and the signature want it (default ports left out).
    public var hostHeader: String {
        guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }

    public var description: String { "\(scheme)://\(hostHeader)\(basePath)" }

    /// The same endpoint under another host name (virtual-hosted S3 buckets).
    func withHost(_ newHost: String) -> Endpoint {
        var copy = self
        copy.host = newHost
        return copy
    }
}

extension Substring {
    func trimmingSuffix(_ suffix: Character) -> String {
        var text = self
        while text.last == suffix { text = text.dropLast() }
        return String(text)
    }
}
