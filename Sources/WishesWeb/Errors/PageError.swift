import HTTPTypes
import Hummingbird

/// A refusal of a page, thrown by a page's route and rendered as a small page of its own, so the
/// person sees what went wrong and what to do in the browser rather than a JSON body.
struct PageError: HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    let title: String
    /// The page's content, every user string in it already escaped.
    let html: String
    let headers: HTTPFields

    init(_ status: HTTPResponse.Status, title: String, html: String, headers: HTTPFields = [:]) {
        self.status = status
        self.title = title
        self.html = html
        self.headers = headers
    }

    /// - Parameter message: plain text, escaped here.
    init(_ status: HTTPResponse.Status, title: String, _ message: String, headers: HTTPFields = [:]) {
        self.init(status, title: title, html: "<h1>\(HTML.escape(title))</h1><p>\(HTML.escape(message))</p>", headers: headers)
    }

    static var noSuchWish: PageError { PageError(.notFound, title: "Not found", "No such wish: check the address, or find it under All wishes.") }

    /// The double-submit check failed: the form was not one of our pages, or its page is older than the cookie.
    static var csrf: PageError { PageError(.forbidden, title: "Not sent", "missing or wrong CSRF token: reload the page and submit again") }

    static func notQueued(_ error: any Error) -> PageError {
        PageError(.serviceUnavailable, title: "Not queued", "\(error)")
    }

    var description: String { "\(status.code) \(title)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        let page = HTML.page(title: title, html)
        return Response(status: status, headers: fields, body: .init(byteBuffer: .init(string: page)))
    }
}
