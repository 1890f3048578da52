/// Which rules a path falls under.
enum WebPaths {
    /// The JSON API: bearer tokens only, JSON bodies only. Decided on the path as sent and as
    /// decoded, so `/%61pi/wishes` cannot reach the API under the pages' looser rules.
    static func isAPI(_ path: String) -> Bool {
        func api(_ path: String) -> Bool { path == "/api" || path.hasPrefix("/api/") }
        return api(path) || api(path.removingPercentEncoding ?? path)
    }

    /// Open without a token: a load balancer's health check, a scraper's metrics, the style sheet the
    /// sign-in page needs, the sign-in itself, and the API's description, which is no secret (it is
    /// in the repository) and which a client reads before it has a token.
    static let open: Set<String> = ["/healthz", "/metrics", "/style.css", "/login", "/openapi.yaml"]
}
