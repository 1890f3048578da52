import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Wishes

/// The routes: pages for people, `/api` for programs, health and metrics for operators.
public struct WebApp: Sendable {
    let book: WishBook
    let token: String?
    let allowedHosts: AllowedHosts
    let metrics = WebMetrics()
    static let maxBody = 64 << 10

    /// - Parameters:
    ///   - token: when set, every route but health, metrics, the style sheet and the sign-in needs it
    ///     (bearer token for the API; for the pages also the basic-auth password or the sign-in cookie).
    ///   - allowedHosts: the names besides loopback ones that the web answers to.
    public init(book: WishBook, token: String?, allowedHosts: AllowedHosts = AllowedHosts()) {
        self.book = book
        self.token = token
        self.allowedHosts = allowedHosts
    }

    public init(book: WishBook, settings: WebSettings) {
        self.init(book: book, token: settings.token, allowedHosts: settings.allowedHosts)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        // Outermost first: every answer gets a log line and the security headers; a request to a
        // name that is not ours, or from another site, is refused before the token is even looked at.
        router.add(middleware: RequestLogMiddleware(metrics: metrics))
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: HostCheckMiddleware(allowed: allowedHosts))
        router.add(middleware: OriginCheckMiddleware(allowed: allowedHosts))
        router.add(middleware: TokenMiddleware(token: token))
        router.add(middleware: JSONBodyMiddleware())
        let openAPI = OpenAPIDocument.yaml(limits: book.settings.limits)
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: .init(string: metrics.text)))
        }
        router.get("/style.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css", .cacheControl: "max-age=3600"], body: .init(byteBuffer: .init(string: HTML.style)))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: .init(string: openAPI)))
        }
        addLogin(to: router)
        addPages(to: router)
        router.addRoutes(WishesAPI(book: book, metrics: metrics).routes, atPath: "/api/wishes")
        router.addRoutes(JobDefinitionsAPI(book: book).routes, atPath: "/api/job-definitions")
        // Last, so its table is every route above. A middleware wraps only the routes added after it,
        // and the router's not-found answer, which is the one answer it changes.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }

    func addPages(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in
            let csrf = Self.csrf(request) ?? Self.newToken()
            return Self.html(Pages.home(csrf: csrf), csrf: csrf)
        }
        router.post("/wishes") { request, _ in
            let form = try await Self.form(request)
            try Self.checkCSRF(request, form)
            let csrf = Self.csrf(request) ?? Self.newToken()
            let spec: WishSpec
            do {
                spec = try await FormBody.wishSpec(form, now: Date(), definitions: book.store.definitions)
            } catch let error as WishValidationError {
                return Self.html(Pages.home(csrf: csrf, problems: error.problems, form: form), status: .badRequest, csrf: csrf)
            }
            do {
                let (status, _) = try await book.submit(spec)
                metrics.increment("wishes_submitted_total")
                return Response(status: .seeOther, headers: [.location: "/wishes/\(status.id)"])
            } catch let error as WishValidationError {
                return Self.html(Pages.home(csrf: csrf, problems: error.problems, form: form), status: .badRequest, csrf: csrf)
            } catch {
                throw PageError.notQueued(error)
            }
        }
        router.get("/wishes") { request, _ in
            let state = request.uri.queryParameters.get("status").flatMap { WishState(rawValue: $0.uppercased()) }
            let after = request.uri.queryParameters.get("after").flatMap(WishID.init)
            let page = try await book.list(limit: 25, after: after, state: state)
            return Self.html(Pages.list(page.wishes, next: page.next, state: state), csrf: nil)
        }
        router.get("/wishes/:id") { request, context in
            guard let id = context.parameters.get("id").flatMap(WishID.init), let detail = try await book.detail(id) else { throw PageError.noSuchWish }
            // The status just read names the last attempt; only the tail the page shows is fetched.
            let last = detail.status.attempts.last?.number
            let output = if let last { try await book.outputTail(id, attempt: last, bytes: Pages.outputShown) } else { (tail: [UInt8], size: Int)?.none }
            let csrf = Self.csrf(request) ?? Self.newToken()
            return Self.html(Pages.detail(detail, output: output, csrf: csrf, logs: book.settings.taskLogs), csrf: csrf)
        }
        router.get("/wishes/:id/children/:index") { request, context in
            guard let id = context.parameters.get("id").flatMap(WishID.init), let index = context.parameters.get("index").flatMap({ Int($0) }),
                let detail = try await book.child(id, index: index)
            else { throw PageError.noSuchWish }
            let output = try await book.childOutput(id, index: index, attempt: nil, tailBytes: Pages.outputShown).map { (tail: $0.bytes, size: $0.size) }
            let csrf = Self.csrf(request) ?? Self.newToken()
            return Self.html(Pages.detail(detail, output: output, csrf: csrf, logs: book.settings.taskLogs, child: index), csrf: csrf)
        }
        router.get("/job-definitions") { request, _ in
            let csrf = Self.csrf(request) ?? Self.newToken()
            return Self.html(Pages.jobDefinitions(try await book.store.definitions.list(), csrf: csrf), csrf: csrf)
        }
        router.post("/job-definitions") { request, _ in
            let form = try await Self.form(request)
            try Self.checkCSRF(request, form)
            let csrf = Self.csrf(request) ?? Self.newToken()
            let (object, problems) = FormBody.jobDefinitionObject(form)
            let draft: JobDefinition
            switch Result(catching: { () throws(WishValidationError) -> JobDefinition in try JobDefinition.parse(object: object, now: Date()) }) {
            case .success(let value) where problems.isEmpty: draft = value
            case .success:
                return Self.html(
                    Pages.jobDefinitions(try await book.store.definitions.list(), csrf: csrf, problems: problems, form: form), status: .badRequest, csrf: csrf)
            case .failure(let error):
                return Self.html(
                    Pages.jobDefinitions(try await book.store.definitions.list(), csrf: csrf, problems: problems + error.problems, form: form),
                    status: .badRequest, csrf: csrf)
            }
            let stored = try await book.store.definitions.register(draft, now: Date())
            return Response(status: .seeOther, headers: [.location: "/job-definitions#\(stored.name)-\(stored.revision)"])
        }
        router.post("/wishes/:id/cancel") { request, context in
            let form = try await Self.form(request)
            try Self.checkCSRF(request, form)
            guard let id = context.parameters.get("id").flatMap(WishID.init), try await book.cancel(id) != nil else { throw PageError.noSuchWish }
            return Response(status: .seeOther, headers: [.location: "/wishes/\(id)"])
        }
    }

    /// `/login?token=...` (the link the local cloud prints) or the form at `/login`: sets the pages'
    /// sign-in cookie. The answer is a page that moves on to `/` by itself rather than a redirect: a
    /// SameSite=Strict cookie set in a navigation that began on another site (a link in a chat) is
    /// not sent on that navigation's redirect, but is on a navigation our own page starts.
    func addLogin(to router: Router<BasicRequestContext>) {
        router.get("/login") { request, _ in
            guard let token else { return Response(status: .seeOther, headers: [.location: "/"]) }
            guard let given = request.uri.queryParameters.get("token") else { return Self.html(Pages.login(), csrf: nil) }
            return Self.signIn(request, given: String(given), token: token)
        }
        router.post("/login") { request, _ in
            guard let token else { return Response(status: .seeOther, headers: [.location: "/"]) }
            let form = try await Self.form(request)
            return Self.signIn(request, given: form["token"] ?? "", token: token)
        }
    }

    static func signIn(_ request: Request, given: String, token: String) -> Response {
        guard Fingerprint.constantTimeEqual(given, token) else {
            return html(
                Pages.login(problem: "That is not the token: copy it again, or open the link the local cloud printed."), status: .unauthorized, csrf: nil)
        }
        var response = html(Pages.signedIn(), csrf: nil)
        response.headers[.setCookie] = WebSession.setCookie(token: token, for: request)
        return response
    }

    static func html(_ page: String, status: HTTPResponse.Status = .ok, csrf: String?) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        if let csrf { headers[.setCookie] = "csrf=\(csrf); Path=/; HttpOnly; SameSite=Strict" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: .init(string: page)))
    }

    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: maxBody)
        return FormBody.parse(String(buffer: body))
    }

    /// Double-submit: the form's token must equal the cookie's.
    static func checkCSRF(_ request: Request, _ form: [String: String]) throws(PageError) {
        guard let cookie = csrf(request), let field = form["csrf"], !cookie.isEmpty, cookie == field else { throw .csrf }
    }

    static func csrf(_ request: Request) -> String? {
        request.cookies["csrf"]?.value
    }

    static func newToken() -> String {
        (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
