/// A wish's `callbackUrl`, taken apart, and the rules for where a callback may go.
///
/// Everything that can be judged from the text is judged at submit: the scheme, user info, and
/// a literal address in any spelling. A host name is judged again when the callback is sent, on
/// the addresses it resolves to then (``CallbackPolicy/check(_:host:)``).
public struct CallbackURL: Sendable, Equatable {
    public var scheme: String
    /// The host as written, without brackets for IPv6.
    public var host: String
    public var port: Int?
    /// Path and query, at least `/`.
    public var target: String

    public var isHTTPS: Bool { scheme == "https" }
    public var effectivePort: Int { port ?? (isHTTPS ? 443 : 80) }
    /// The URL as it is sent: the host in lower case (as it was checked and resolved), IPv6 in brackets.
    public var normalized: String {
        let authority = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(authority)\(port.map { ":\($0)" } ?? "")\(target)"
    }

    /// The literal address the host names, if it names one.
    public var address: NetworkAddress? { NetworkAddress(host) }
    /// `localhost` and its subdomains resolve to loopback by rule (RFC 6761), whatever DNS says.
    public var isLocalhostName: Bool {
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name == "localhost" || name.hasSuffix(".localhost")
    }

    /// Parses an absolute `http`/`https` URL; the error says what is wrong with it.
    public static func parse(_ text: String) throws(CallbackURLError) -> CallbackURL {
        guard
            !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || !$0.isASCII })
        else {
            throw .malformed(
                "must be ASCII without spaces or control characters (percent-encode the rest)")
        }
        guard let separator = text.firstRange(of: "://") else {
            throw .malformed("must be an absolute https:// URL")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw .malformed("scheme must be https, not \(scheme)")
        }
        let rest = text[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var target = String(rest.dropFirst(authority.count))
        if target.contains("#") { throw .malformed("must not have a fragment (#): it is never sent") }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !authority.contains("@") else {
            throw .malformed(
                "must not carry user info (user:password@); put a token in the path or query")
        }
        guard !authority.isEmpty else { throw .malformed("must name a host") }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .malformed("has an unclosed [ in its host")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .malformed("has text after its IPv6 address") }
                portText = after.dropFirst()
            }
            if host.contains("%") { throw .malformed("must not name an IPv6 zone (%)") }
            guard NetworkAddress(String(host)) != nil else {
                throw .malformed("has [\(host)], which is not an IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw .malformed("port must be 1 to 65535, not '\(portText)'")
            }
            port = value
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:".contains($0) })
        else {
            throw .malformed("host '\(host)' is not a host name or an address")
        }
        return CallbackURL(scheme: scheme, host: String(host).lowercased(), port: port, target: target)
    }
}

public enum CallbackURLError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case refused(String)

    public var description: String {
        switch self {
        case .malformed(let text), .refused(let text): text
        }
    }
}

/// Where callbacks may go in this stack.
///
/// In AWS: https only, to a public address. A local cloud also lets them reach loopback (its own
/// test receivers), over plain http too; nothing else is ever allowed.
public struct CallbackPolicy: Sendable, Equatable {
    /// `WISHES_CALLBACK_ALLOW_LOOPBACK=1`: set by the local cloud, never by the stack.
    public var allowLoopback: Bool

    public init(allowLoopback: Bool = false) {
        self.allowLoopback = allowLoopback
    }

    /// Judges what the URL's text shows: scheme, and the host when it is a literal address or localhost.
    public func judge(_ url: CallbackURL) throws(CallbackURLError) {
        let loopback = url.isLocalhostName || url.address?.restriction == .loopback
        if let address = url.address { try check(address, host: url.host) }
        if url.isLocalhostName, !allowLoopback {
            throw .refused("\(url.host) is loopback; a callback must reach a public address")
        }
        // A name's addresses are known only when it is sent; plain http to one is judged then.
        if !url.isHTTPS, !allowLoopback || (url.address != nil && !loopback) {
            throw Self.plainHTTP
        }
    }

    static let plainHTTP = CallbackURLError.refused(
        "must use https (plain http is allowed only to loopback in a local cloud)")

    /// Judges the addresses a name resolved to, all of which a callback might connect to.
    public func check(_ addresses: [NetworkAddress], of url: CallbackURL) throws(CallbackURLError) {
        for address in addresses { try check(address, host: url.host) }
        if !url.isHTTPS, addresses.contains(where: { $0.restriction != .loopback }) {
            throw Self.plainHTTP
        }
    }

    /// Judges one address a callback would connect to.
    public func check(_ address: NetworkAddress, host: String) throws(CallbackURLError) {
        guard let restriction = address.restriction else { return }
        if restriction == .loopback, allowLoopback { return }
        let spelled = host == address.description ? host : "\(host) (\(address))"
        throw .refused(
            "\(spelled) is a \(restriction.rawValue) address; a callback must reach a public address")
    }

    public static func fromEnvironment(_ environment: [String: String]) -> CallbackPolicy {
        CallbackPolicy(
            allowLoopback: ["1", "true"].contains(
                environment["WISHES_CALLBACK_ALLOW_LOOPBACK"]?.lowercased() ?? ""))
    }
}
