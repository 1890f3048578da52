import HTTPTypes
import Hummingbird
import Wishes

/// The pages' sign-in cookie, set by `/login` so a browser needs no basic-auth prompt.
///
/// Its value is derived from the token, not the token itself: a cookie that leaks opens the pages
/// (which the CSRF token, SameSite=Strict and the origin check guard further) but is no bearer token
/// for the API. It holds no state, so every task of the web accepts it and a new token ends it.
enum WebSession {
    static let cookieName = "wishes_session"

    static func value(token: String) -> String {
        Fingerprint.hmacSHA256(key: token, Array("wishes pages session v1".utf8))
    }

    /// HttpOnly: no script reads it. SameSite=Strict: no other site's page makes the browser send it.
    /// Secure when the browser spoke HTTPS (to CloudFront, which says so in its forwarded headers).
    static func setCookie(token: String, for request: Request) -> String {
        "\(cookieName)=\(value(token: token)); Path=/; HttpOnly; SameSite=Strict" + (isHTTPS(request) ? "; Secure" : "")
    }

    static func isValid(_ request: Request, token: String) -> Bool {
        guard let cookie = request.cookies[cookieName]?.value else { return false }
        return Fingerprint.constantTimeEqual(cookie, value(token: token))
    }

    static func isHTTPS(_ request: Request) -> Bool {
        ["CloudFront-Forwarded-Proto", "X-Forwarded-Proto"].contains { name in
            request.headers[HTTPField.Name(name)!]?.lowercased() == "https"
        }
    }
}
