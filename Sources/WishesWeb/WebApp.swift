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
        // Outermost first: every answer gets the security headers and a log line; a request to a
        // name that is not ours, or from another site, is refused before the token is even looked at.
        router.add(middleware: SecurityMiddleware(metrics: metrics))
        router.add(middleware: HostCheckMiddleware(allowed: allowedHosts))
        router.add(middleware: OriginCheckMiddleware(allowed: allowedHosts))
        router.add(middleware: TokenMiddleware(token: token))
        router.add(middleware: JSONBodyMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware())
        let openAPI = OpenAPIDocument.yaml(limits: book.settings.limits)
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: .init(string: metrics.text))) }
        router.get("/style.css") { _, _ in Response(status: .ok, headers: [.contentType: "text/css", .cacheControl: "max-age=3600"], body: .init(byteBuffer: .init(string: HTML.style))) }
        router.get("/openapi.yaml") { _, _ in Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: .init(string: openAPI))) }
        addLogin(to: router)

        router.get("/") { request, _ in
            let csrf = Self.csrf(request) ?? Self.newToken()
            return Self.html(Pages.home(csrf: csrf), csrf: csrf)
        }
        router.post("/wishes") { request, _ in
            let form = try await Self.form(request)
            guard Self.checkCSRF(request, form) else { return Self.forbidden() }
            let csrf = Self.csrf(request) ?? Self.newToken()
            let spec: WishSpec
            switch Result(catching: { () throws(WishValidationError) -> WishSpec in try WishSpec.parse(object: FormBody.wishObject(form), now: Date()) }) {
            case .success(let value): spec = value
            case .failure(let error): return Self.html(Pages.home(csrf: csrf, problems: error.problems, form: form), status: .badRequest, csrf: csrf)
            }
            do {
                let (status, _) = try await book.submit(spec)
                metrics.increment("wishes_submitted_total")
                return Response(status: .seeOther, headers: [.location: "/wishes/\(status.id)"])
            } catch let error as WishValidationError {
                return Self.html(Pages.home(csrf: csrf, problems: error.problems, form: form), status: .badRequest, csrf: csrf)
            } catch {
                return Self.html(HTML.page(title: "Not queued", "<h1>Not queued</h1><p>\(HTML.escape("\(error)"))</p>"), status: .serviceUnavailable, csrf: csrf)
            }
        }
        router.get("/wishes") { request, _ in
            let state = request.uri.queryParameters.get("status").flatMap { WishState(rawValue: $0.uppercased()) }
            let after = request.uri.queryParameters.get("after").flatMap(WishID.init)
            let page = try await book.list(limit: 25, after: after, state: state)
            return Self.html(Pages.list(page.wishes, next: page.next, state: state), csrf: nil)
        }
        router.get("/wishes/:id") { request, context in
            guard let id = context.parameters.get("id").flatMap(WishID.init), let detail = try await book.detail(id) else {
                return Self.html(HTML.page(title: "Not found", "<h1>No such wish</h1>"), status: .notFound, csrf: nil)
            }
            let output = try await book.output(id, attempt: nil)
            let csrf = Self.csrf(request) ?? Self.newToken()
            return Self.html(Pages.detail(detail, output: output, csrf: csrf), csrf: csrf)
        }
        router.post("/wishes/:id/cancel") { request, context in
            let form = try await Self.form(request)
            guard Self.checkCSRF(request, form) else { return Self.forbidden() }
            guard let id = context.parameters.get("id").flatMap(WishID.init), try await book.cancel(id) != nil else {
                return Self.html(HTML.page(title: "Not found", "<h1>No such wish</h1>"), status: .notFound, csrf: nil)
            }
            return Response(status: .seeOther, headers: [.location: "/wishes/\(id)"])
        }
        addAPI(to: router)
        return router
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
            return html(Pages.login(problem: "That is not the token: copy it again, or open the link the local cloud printed."), status: .unauthorized, csrf: nil)
        }
        var response = html(Pages.signedIn(), csrf: nil)
        response.headers[.setCookie] = WebSession.setCookie(token: token, for: request)
        return response
    }

    func addAPI(to router: Router<BasicRequestContext>) {
        router.post("/api/wishes") { request, _ in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: Self.maxBody) } catch {
                return APIError.response(.contentTooLarge, "too_large", "bodies are limited to \(Self.maxBody) bytes")
            }
            let spec: WishSpec
            switch Result(catching: { () throws(WishValidationError) -> WishSpec in try WishSpec.parse(json: Array(buffer: body), now: Date()) }) {
            case .success(let value): spec = value
            case .failure(let error): return APIError.response(.badRequest, "invalid_wish", "\(error)", problems: error.problems)
            }
            let key = request.headers[HTTPField.Name("Idempotency-Key")!]
            if let key, key.isEmpty || key.count > 255 {
                return APIError.response(.badRequest, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 characters")
            }
            do {
                let (status, created) = try await book.submit(spec, idempotencyKey: key)
                if created { metrics.increment("wishes_submitted_total") }
                // What runs: with the default timeout filled in, as the stored spec has it.
                let shown = (try? book.settings.limits.apply(to: spec)) ?? spec
                return try Self.json(WishView(spec: shown, status: status), status: .accepted, headers: [.location: "/api/wishes/\(status.id)"])
            } catch let error as WishValidationError {
                return APIError.response(.badRequest, "invalid_wish", "\(error)", problems: error.problems)
            } catch let error as WishBook.SubmitError {
                if case .idempotencyKeyReused = error { return APIError.response(.unprocessableContent, "idempotency_key_reused", "\(error)") }
                return APIError.response(.serviceUnavailable, "not_queued", "\(error)", awsError: error.awsErrorCode)
            }
        }
        router.get("/api/wishes") { request, _ in
            let limitText = request.uri.queryParameters.get("limit")
            guard let limit = limitText.map({ Int($0) }) ?? 25, (1...100).contains(limit) else {
                return APIError.response(.badRequest, "invalid_limit", "limit must be a whole number from 1 to 100")
            }
            var state: WishState?
            if let text = request.uri.queryParameters.get("status") {
                guard let parsed = WishState(rawValue: text.uppercased()) else {
                    return APIError.response(.badRequest, "invalid_status", "status must be one of \(WishState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            var after: WishID?
            if let text = request.uri.queryParameters.get("after") {
                guard let id = WishID(text) else { return APIError.response(.badRequest, "invalid_after", "after must be a wish id") }
                after = id
            }
            let page = try await book.list(limit: limit, after: after, state: state)
            struct Page: Encodable { var wishes: [WishView]; var next: WishID? }
            return try Self.json(Page(wishes: page.wishes.map { WishView(spec: $0.spec, status: $0.status) }, next: page.next))
        }
        router.get("/api/wishes/:id") { _, context in
            guard let id = context.parameters.get("id").flatMap(WishID.init) else { return APIError.response(.notFound, "not_found", "no such wish") }
            guard let detail = try await book.detail(id) else { return APIError.response(.notFound, "not_found", "no wish \(id)") }
            return try Self.json(WishView(spec: detail.spec, status: detail.status, results: detail.results, children: detail.children))
        }
        router.get("/api/wishes/:id/output") { request, context in
            guard let id = context.parameters.get("id").flatMap(WishID.init) else { return APIError.response(.notFound, "not_found", "no such wish") }
            let attemptText = request.uri.queryParameters.get("attempt")
            let attempt = attemptText.flatMap { Int($0) }
            if attemptText != nil, (attempt ?? 0) < 1 {
                return APIError.response(.badRequest, "invalid_attempt", "attempt must be a whole number from 1")
            }
            guard let output = try await book.output(id, attempt: attempt) else { return APIError.response(.notFound, "not_found", "no output yet") }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: .init(bytes: output)))
        }
        router.post("/api/wishes/:id/cancel") { _, context in
            guard let id = context.parameters.get("id").flatMap(WishID.init), let cancelled = try await book.cancel(id) else {
                return APIError.response(.notFound, "not_found", "no such wish")
            }
            return try Self.json(WishView(spec: cancelled.spec, status: cancelled.status), status: .accepted)
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: .init(bytes: try WishJSON.encode(value))))
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
    static func checkCSRF(_ request: Request, _ form: [String: String]) -> Bool {
        guard let cookie = csrf(request), let field = form["csrf"], !cookie.isEmpty else { return false }
        return cookie == field
    }

    static func csrf(_ request: Request) -> String? {
        request.cookies["csrf"]?.value
    }

    static func newToken() -> String {
        (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func forbidden() -> Response {
        Response(status: .forbidden, headers: [.contentType: "text/plain"], body: .init(byteBuffer: .init(string: "missing or wrong CSRF token: reload the page and submit again\n")))
    }
}
