import Foundation
import HTTPTypes
import Hummingbird
import Wishes

/// The token, when the web has one (`WISHES_API_TOKEN`): the API takes it only as a bearer token;
/// the pages also as a basic-auth password or the sign-in cookie of `/login`.
///
/// The API refuses basic auth and cookies because a browser adds both by itself to requests that
/// other sites' pages make; a bearer token is only ever sent by a program that was given it.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard let token, !WebPaths.open.contains(path) else { return try await next(request, context) }
        let authorization = request.headers[.authorization] ?? ""
        if WebPaths.isAPI(path) {
            if Self.bearer(authorization).map({ Fingerprint.constantTimeEqual($0, token) }) == true { return try await next(request, context) }
            let message =
                Self.bearer(authorization) == nil && !authorization.isEmpty
                ? "the API takes only Authorization: Bearer <WISHES_API_TOKEN>; basic auth and the sign-in cookie are for the pages"
                : "send Authorization: Bearer <WISHES_API_TOKEN>"
            throw APIError(.unauthorized, "unauthorized", message, headers: [.wwwAuthenticate: "Bearer realm=\"Wishes API\""])
        }
        let password = Self.bearer(authorization) ?? Self.basicPassword(authorization)
        if password.map({ Fingerprint.constantTimeEqual($0, token) }) == true || WebSession.isValid(request, token: token) {
            return try await next(request, context)
        }
        let page = """
            <h1>Sign in</h1><p>Open the sign-in link the local cloud printed, <a href="/login">enter the token</a>, \
            or sign in with any user name and the token as password.</p>
            """
        throw PageError(.unauthorized, title: "Sign in", html: page, headers: [.wwwAuthenticate: "Basic realm=\"Wishes\""])
    }

    /// The token of `Bearer <token>` (the scheme's name is case-insensitive).
    static func bearer(_ header: String) -> String? {
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// The password of `Basic base64(user:password)`.
    static func basicPassword(_ header: String) -> String? {
        guard header.count > 6, header.prefix(6).lowercased() == "basic ",
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return String(text[text.index(after: colon)...])
    }
}
