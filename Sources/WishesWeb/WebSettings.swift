/// How the web front listens and whom it trusts, from the environment.
public struct WebSettings: Sendable, Equatable {
    /// `WISHES_WEB_HOST` (127.0.0.1) and `WISHES_WEB_PORT` (8080): where it listens.
    public var host: String
    public var port: Int
    /// `WISHES_API_TOKEN`: the bearer token of the API and the password of the pages.
    public var token: String?
    /// `WISHES_WEB_ALLOWED_HOSTS`: the names it answers to besides loopback ones.
    public var allowedHosts: AllowedHosts

    public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, allowedHosts: AllowedHosts = AllowedHosts()) {
        self.host = host
        self.port = port
        self.token = token
        self.allowedHosts = allowedHosts
    }

    /// Reads the settings, and refuses the one combination that must never run: listening beyond
    /// this machine with no token, where anyone who reaches the port could run commands.
    public static func fromEnvironment(_ environment: [String: String]) throws(WebSettingsError) -> WebSettings {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var settings = WebSettings()
        settings.host = value("WISHES_WEB_HOST") ?? settings.host
        if let text = value("WISHES_WEB_PORT") {
            guard let port = Int(text), (1...65535).contains(port) else {
                throw .invalid("WISHES_WEB_PORT", "must be a port number from 1 to 65535, not '\(text)'")
            }
            settings.port = port
        }
        settings.token = value("WISHES_API_TOKEN")
        settings.allowedHosts = try AllowedHosts.parse(environment["WISHES_WEB_ALLOWED_HOSTS"] ?? "")
        if settings.token == nil, !isLoopback(settings.host) { throw .tokenRequired(host: settings.host) }
        return settings
    }

    /// Whether an address to listen on reaches this machine only: 127.0.0.0/8, ::1 or localhost.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        if ["localhost", "::1", "[::1]"].contains(name) { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

public enum WebSettingsError: Error, Equatable, CustomStringConvertible {
    /// Listening on a non-loopback address without a token.
    case tokenRequired(host: String)
    /// A variable set to a value that cannot work: its name, and what it must be.
    case invalid(String, String)

    public var description: String {
        switch self {
        case .tokenRequired(let host):
            "WISHES_WEB_HOST is \(host), which other machines can reach, and WISHES_API_TOKEN is not set: anyone reaching the port could run commands. "
                + "Set WISHES_API_TOKEN to a long random secret (e.g. openssl rand -hex 32), or WISHES_WEB_HOST=127.0.0.1 to serve this machine only"
        case .invalid(let name, let rule): "invalid configuration: \(name) \(rule)"
        }
    }
}
