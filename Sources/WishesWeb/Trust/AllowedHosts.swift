/// The names the web answers to (`WISHES_WEB_ALLOWED_HOSTS`), and whose pages may send it forms.
///
/// **Host.** A page of any site can make a browser send requests to `http://127.0.0.1:8080` (DNS
/// rebinding: the attacker's name answers with a loopback address). The browser then sends the
/// attacker's name as `Host`, so a `Host` that names none of ours is refused. Loopback names are
/// always ours, with any port: a browser sends one only for a page loaded from this machine, which
/// rebinding cannot produce. The names a proxy sends (the load balancer's name, behind CloudFront)
/// are added with `WISHES_WEB_ALLOWED_HOSTS`.
///
/// **Origin.** A form or script on another origin may not POST to us. Our own origin is the one the
/// request came to (its `Origin` names the `Host` it was sent with) or, behind a proxy that rewrites
/// `Host`, one of the configured names: there, a name without a port stands for the scheme's default
/// port, as a browser writes an origin (`https://d1234.cloudfront.net`). Loopback names are never
/// matched that loosely: `http://localhost:3000` is another program's page, not ours.
public struct AllowedHosts: Sendable, Equatable {
    /// The configured names; a name without a port allows any port as `Host`.
    public var configured: [Authority]

    public init(_ configured: [Authority] = []) {
        self.configured = configured
    }

    /// Comma-separated `host[:port]` names; empty means loopback names only.
    public static func parse(_ text: String) throws(WebSettingsError) -> AllowedHosts {
        var names: [Authority] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let name = Authority(item) else {
                throw .invalid(
                    "WISHES_WEB_ALLOWED_HOSTS", "names '\(item)', which is not a host[:port] (e.g. d1234.cloudfront.net, wishes.example.com:8443, [::1])")
            }
            names.append(name)
        }
        return AllowedHosts(names)
    }

    /// Whether a `Host` header names this web.
    public func allows(host authority: Authority) -> Bool {
        if authority.isLoopback { return true }
        return configured.contains { name in
            guard name.host == authority.host else { return false }
            guard let port = name.port else { return true }
            // `Host: example.com` is port 80 or 443, whichever the client spoke.
            return authority.port == port || (authority.port == nil && (port == 80 || port == 443))
        }
    }

    /// Whether an `Origin` (`scheme://host[:port]`) is this web's own, for a request sent with `host`.
    public func isOwn(origin text: String, requestHost host: Authority?) -> Bool {
        guard let separator = text.range(of: "://") else { return false }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard let defaultPort = ["http": 80, "https": 443][scheme], let origin = Authority(String(text[separator.upperBound...])) else { return false }
        let port = origin.port ?? defaultPort
        if let host, host.host == origin.host, (host.port ?? defaultPort) == port { return true }
        return configured.contains { $0.host == origin.host && ($0.port ?? defaultPort) == port }
    }
}
