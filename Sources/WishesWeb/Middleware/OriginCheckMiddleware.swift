import HTTPTypes
import Hummingbird

/// Refuses unsafe requests (anything but GET, HEAD and OPTIONS) that a browser says come from
/// another site: a form or script on any page a developer visits could otherwise submit wishes,
/// which run commands. Programs send neither header and pass.
///
/// `Sec-Fetch-Site: same-site` is refused too: a page on another port of `localhost` is same-site
/// (ports do not count for sites), yet another program's page.
struct OriginCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed: AllowedHosts
    static var safeMethods: Set<HTTPRequest.Method> { [.get, .head, .options] }
    static var secFetchSite: HTTPField.Name { HTTPField.Name("Sec-Fetch-Site")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.safeMethods.contains(request.method) else { return try await next(request, context) }
        if let site = request.headers[Self.secFetchSite]?.lowercased(), site == "cross-site" || site == "same-site" {
            throw APIError(.forbidden, "cross_site_request", "\(request.method.rawValue) from another site (Sec-Fetch-Site: \(site)) is refused")
        }
        if let origin = request.headers[.origin] {
            let host = request.head.authority.flatMap(Authority.init)
            // Our pages send `Referrer-Policy: no-referrer`, under which a browser writes `Origin: null`
            // on their own form posts (Fetch: the origin of a non-CORS request is serialized as null
            // under that policy). Such a post is ours when the browser also says `same-origin`; a
            // sandboxed frame, the other source of null, is cross-site to every origin.
            let ownNull = origin == "null" && request.headers[Self.secFetchSite]?.lowercased() == "same-origin"
            guard ownNull || allowed.isOwn(origin: origin, requestHost: host) else {
                throw APIError(
                    .forbidden, "cross_site_request",
                    "\(request.method.rawValue) from origin \(origin) is refused: only this web's own pages may send it; add a name to WISHES_WEB_ALLOWED_HOSTS if it is this web's"
                )
            }
        }
        return try await next(request, context)
    }
}
