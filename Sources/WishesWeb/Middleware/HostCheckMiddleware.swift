import HTTPTypes
import Hummingbird

/// Answers only requests whose `Host` names this web (see `AllowedHosts`): 421 Misdirected Request
/// otherwise, so a DNS-rebinding page learns and does nothing.
///
/// `/healthz` is answered for any `Host`: an Application Load Balancer's health check sends the
/// task's private IP address, which changes with every task and cannot be listed in advance, and
/// the answer ("ok") tells a rebinding page nothing and changes nothing.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed: AllowedHosts
    /// HTTPTypes names the field only to say "use the authority": a second Host is still a field.
    static var hostField: HTTPField.Name { HTTPField.Name("Host")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" { return try await next(request, context) }
        // HTTP/1's first Host becomes the authority; a second one left in the fields is ambiguous,
        // and proxies may disagree about which one counts.
        guard request.headers[values: Self.hostField].isEmpty else {
            throw APIError(.badRequest, "ambiguous_host", "send one Host header")
        }
        guard let text = request.head.authority, let host = Authority(text) else {
            throw APIError(.badRequest, "missing_host", "send a Host header naming this web")
        }
        guard allowed.allows(host: host) else {
            throw APIError(
                .misdirectedRequest, "misdirected_request",
                "this web does not answer to \(host); its names are loopback ones and those in WISHES_WEB_ALLOWED_HOSTS")
        }
        return try await next(request, context)
    }
}
