import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import Wishes
@testable import WishesAWS
@testable import WishesWeb

/// Every route and error of the web front, through its router, with S3 and SQS on moto.
@Suite(.serialized)
struct WebTests {
    static let xss = #""><script>alert(1)</script><img src=x onerror=alert(2)>"#

    /// A bucket and a queue of its own, the router over them, and the client that calls it.
    func withWeb(
        token: String? = nil, queueURL: String? = nil, logger: Logger? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol, WebFixture) async throws -> Void
    ) async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let settings = WishesSettings(bucket: bucket, queueURL: queueURL ?? queue, asapQueueURL: queueURL ?? queue)
                let web = WebApp(book: WishBook(aws: AWSClients(client: aws.client), settings: settings), token: token)
                let fixture = WebFixture(aws: aws, bucket: bucket, queueURL: queue, settings: settings, web: web)
                try await Application(router: web.router(), logger: logger).test(.router) { client in try await body(client, fixture) }
            }
        }
    }

    struct WebFixture: Sendable {
        var aws: TestAWS
        var bucket: String
        var queueURL: String
        var settings: WishesSettings
        var web: WebApp
    }

    static let json: HTTPFields = [.contentType: "application/json"]

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    func submit(_ client: some TestClientProtocol, _ body: String, headers: HTTPFields = json) async throws -> TestResponse {
        try await client.execute(uri: "/api/wishes", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func submittingAnswers202WithLocationAfterTheMessageIsQueued() async throws {
        try await withWeb { client, fixture in
            let response = try await submit(client, #"{"wish":"a pony","queue":"asap"}"#)
            #expect(response.status == .accepted)
            let wish = try Self.object(response)
            let id = try #require(wish["id"] as? String)
            #expect(response.headers[.location] == "/api/wishes/\(id)")
            #expect(wish["state"] as? String == "SUBMITTED")
            let messages = try await fixture.aws.sqs.receiveMessages(queueURL: fixture.queueURL, waitTimeSeconds: 1)
            #expect(messages.map { try? WishJSON.decode(WishMessage.self, from: Array($0.Body.utf8)).id.rawValue } == [id])
            let described = try await client.execute(uri: "/api/wishes/\(id)", method: .get)
            #expect(described.status == .ok)
            #expect((try Self.object(described)["spec"] as? [String: Any])?["wish"] as? String == "a pony")
        }
    }

    @Test func anIdempotencyKeyGivesBackTheFirstWish() async throws {
        try await withWeb { client, fixture in
            var headers = Self.json
            headers[HTTPField.Name("Idempotency-Key")!] = "order-42"
            let first = try Self.object(try await submit(client, #"{"wish":"once"}"#, headers: headers))
            let second = try Self.object(try await submit(client, #"{"wish":"once"}"#, headers: headers))
            #expect(first["id"] as? String == second["id"] as? String)
            let messages = try await fixture.aws.sqs.receiveMessages(queueURL: fixture.queueURL, waitTimeSeconds: 1)
            #expect(messages.count == 1, "one wish, one message")
        }
    }

    @Test func badInputIsRefusedWithEveryProblemNamed() async throws {
        try await withWeb { client, _ in
            let response = try await submit(client, #"{"wish":5,"vcpus":3,"attempts":0,"environment":[{"name":"1BAD","value":"x"}],"bogus":true}"#)
            #expect(response.status == .badRequest)
            let problems = try #require(try Self.object(response)["problems"] as? [[String: String]])
            let fields = Set(problems.compactMap { $0["field"] })
            #expect(fields.isSuperset(of: ["wish", "vcpus", "attempts", "environment[0].name", "bogus"]), "\(fields)")
            #expect(try await submit(client, "not json").status == .badRequest)
            #expect(try await submit(client, #"{"wish":null}"#).status == .badRequest, "null is not a string")
        }
    }

    @Test func bodiesOverTheLimitGet413() async throws {
        try await withWeb { client, _ in
            let response = try await submit(client, #"{"wish":""# + String(repeating: "x", count: 70_000) + #""}"#)
            #expect(response.status == .contentTooLarge)
            #expect(try Self.object(response)["error"] as? String == "too_large")
        }
    }

    @Test func aQueueThatCannotBeReachedGives503AndTheRecordSaysNotQueued() async throws {
        let missing = "http://127.0.0.1:1/000000000000/no-such-queue"
        try await withWeb(queueURL: missing) { client, _ in
            let response = try await submit(client, #"{"wish":"lost?"}"#)
            #expect(response.status == .serviceUnavailable)
            #expect(try Self.object(response)["error"] as? String == "not_queued")
            let list = try Self.object(try await client.execute(uri: "/api/wishes", method: .get))
            let wish = try #require((list["wishes"] as? [[String: Any]])?.first)
            #expect(wish["state"] as? String == "FAILED")
            #expect((wish["statusReason"] as? String)?.hasPrefix("not queued") == true)
        }
    }

    @Test func listingIsNewestFirstPaginatedAndFiltered() async throws {
        try await withWeb { client, _ in
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(try #require(try Self.object(try await submit(client, #"{"wish":"n\#(index)"}"#))["id"] as? String))
            }
            let first = try Self.object(try await client.execute(uri: "/api/wishes?limit=2", method: .get))
            let page = try #require(first["wishes"] as? [[String: Any]])
            #expect(page.compactMap { $0["id"] as? String } == [ids[2], ids[1]])
            let next = try #require(first["next"] as? String)
            let second = try Self.object(try await client.execute(uri: "/api/wishes?limit=2&after=\(next)", method: .get))
            #expect((second["wishes"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ids[0]])
            let succeeded = try Self.object(try await client.execute(uri: "/api/wishes?status=SUCCEEDED", method: .get))
            #expect((succeeded["wishes"] as? [[String: Any]])?.isEmpty == true)
            for bad in ["limit=0", "limit=null", "status=DONE", "after=..%2F..%2Fsecrets"] {
                #expect(try await client.execute(uri: "/api/wishes?\(bad)", method: .get).status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func unknownIdsAndTraversalGet404() async throws {
        try await withWeb { client, _ in
            for path in [
                "/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x", "/api/wishes/..%2F..%2Fetc", "/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x/output",
                "/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x", "/nowhere",
            ] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
            }
            let cancel = try await client.execute(uri: "/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x/cancel", method: .post)
            #expect(cancel.status == .notFound)
            let badAttempt = try await client.execute(uri: "/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x/output?attempt=zero", method: .get)
            #expect(badAttempt.status == .badRequest)
        }
    }

    @Test func cancellingAQueuedWishEndsIt() async throws {
        try await withWeb { client, _ in
            let id = try #require(try Self.object(try await submit(client, #"{"wish":"never mind"}"#))["id"] as? String)
            let response = try await client.execute(uri: "/api/wishes/\(id)/cancel", method: .post)
            #expect(response.status == .accepted)
            let described = try Self.object(try await client.execute(uri: "/api/wishes/\(id)", method: .get))
            #expect(described["state"] as? String == "FAILED")
            #expect((described["statusReason"] as? String)?.contains("cancel") == true)
        }
    }

    @Test func anArraysDescriptionCountsItsFirstThousandChildrenByState() async throws {
        try await withWeb { client, fixture in
            let id = try #require(try Self.object(try await submit(client, #"{"wish":"many","arraySize":1500}"#))["id"] as? String)
            let wishID = try #require(WishID(id))
            let store = StatusStore(objects: S3ObjectStorage(s3: fixture.aws.s3, bucket: fixture.bucket), layout: fixture.settings.layout)
            // Child 0 succeeded, 7 failed for good, 999 waits in RUNNABLE, 1200 is past the summary;
            // the rest have no status yet.
            for (index, state) in [(0, WishState.succeeded), (999, .runnable), (1200, .succeeded)] {
                try await store.merge(WishStatus(id: wishID, arrayIndex: index, attempts: [AttemptStatus(number: 1, state: state)]))
            }
            try await store.merge(WishStatus(id: wishID, arrayIndex: 7, final: .init(state: .failed, reason: "exit 1", at: Date())))
            try await fixture.aws.s3.putObject(
                bucket: fixture.bucket, key: fixture.settings.layout.output(WishSubject(id: wishID, arrayIndex: 3), attempt: 1), body: Array("no status".utf8))
            let described = try Self.object(try await client.execute(uri: "/api/wishes/\(id)", method: .get))
            let children = try #require(described["children"] as? [String: Int])
            #expect(children == ["SUCCEEDED": 1, "FAILED": 1, "RUNNABLE": 1, "SUBMITTED": 997])
            let cancelled = try Self.object(try await client.execute(uri: "/api/wishes/\(id)/cancel", method: .post))
            #expect((cancelled["spec"] as? [String: Any])?["arraySize"] as? Int == 1500)
        }
    }

    @Test func aWrongMethodOnAKnownPathGets405WithAllow() async throws {
        try await withWeb { client, _ in
            let response = try await client.execute(uri: "/api/wishes", method: .delete)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET, POST")
            #expect(try await client.execute(uri: "/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x/cancel", method: .get).headers[.allow] == "POST")
        }
    }

    @Test func theTokenGuardsEverythingButHealthAndMetrics() async throws {
        try await withWeb(token: "s3cret-token") { client, _ in
            #expect(try await client.execute(uri: "/api/wishes", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/wishes", method: .get, headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/wishes", method: .get, headers: [.authorization: "Bearer s3cret-token"]).status == .ok)
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .unauthorized)
            #expect(page.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            let basic = "Basic " + Data("me:s3cret-token".utf8).base64EncodedString()
            #expect(try await client.execute(uri: "/", method: .get, headers: [.authorization: basic]).status == .ok)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await withWeb { client, _ in
            for path in ["/", "/api/wishes", "/nowhere", "/healthz"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true, "\(path)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            }
        }
    }

    @Test func metricsArePrometheusText() async throws {
        try await withWeb { client, _ in
            _ = try await submit(client, #"{"wish":"counted"}"#)
            let response = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: response.body)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(text.contains("# TYPE wishes_http_requests_total counter"))
            #expect(text.contains("wishes_submitted_total 1"))
        }
    }

    @Test func theFormNeedsItsCSRFTokenAndRedirectsToTheWish() async throws {
        try await withWeb { client, _ in
            let home = try await client.execute(uri: "/", method: .get)
            #expect(String(buffer: home.body).contains("Hold your breath, make a wish, count to three"))
            let cookie = try #require(home.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            let token = String(cookie.dropFirst("csrf=".count))
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            #expect(
                try await client.execute(uri: "/wishes", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(token)&wish=x")).status == .forbidden)
            var withCookie = form
            withCookie[.cookie] = cookie
            let posted = try await client.execute(uri: "/wishes", method: .post, headers: withCookie, body: ByteBuffer(string: "csrf=\(token)&wish=a+pony"))
            #expect(posted.status == .seeOther)
            let location = try #require(posted.headers[.location])
            let page = try await client.execute(uri: location, method: .get)
            #expect(String(buffer: page.body).contains("a pony"))
        }
    }

    @Test func anXSSPayloadInEveryFieldComesBackEscaped() async throws {
        try await withWeb { client, _ in
            let payload = Self.xss
            let spec: [String: Any] = [
                "wish": payload, "command": ["sh", "-c", payload],
                "callbackUrl": "https://example.com/\(payload.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")",
                "environment": [["name": "SAFE", "value": payload]],
                "evaluateOnExit": [["onReason": payload, "action": "EXIT"]],
            ]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
            let submitted = try await submit(client, body)
            #expect(submitted.status == .accepted, "\(String(buffer: submitted.body))")
            let id = try #require(try Self.object(submitted)["id"] as? String)
            for path in ["/wishes/\(id)", "/wishes", "/"] {
                let html = String(buffer: try await client.execute(uri: path, method: .get).body)
                #expect(!html.contains("<script>alert"), "\(path) shows the payload raw")
                #expect(!html.contains("<img src=x"), "\(path)")
            }
            let detail = String(buffer: try await client.execute(uri: "/wishes/\(id)", method: .get).body)
            #expect(detail.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the wish is shown, escaped")
            // A refused form shows its values again: escaped too.
            let home = try await client.execute(uri: "/", method: .get)
            let cookie = try #require(home.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            let token = String(cookie.dropFirst("csrf=".count))
            let encoded = payload.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let fields = [
                "wish", "name", "command", "environment", "queue", "vcpus", "memory", "attempts", "timeoutSeconds", "arraySize",
                "dependsOn", "notBefore", "callbackUrl",
            ].map { "\($0)=\(encoded)" }.joined(separator: "&")
            let refused = try await client.execute(
                uri: "/wishes", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                body: ByteBuffer(string: "csrf=\(token)&\(fields)"))
            #expect(refused.status == .badRequest)
            let page = String(buffer: refused.body)
            #expect(!page.contains("<script>alert") && !page.contains("<img src=x"))
            #expect(page.contains("&lt;script&gt;"))
        }
    }

    @Test func theOpenAPIDocumentIsValid() async throws {
        try await withWeb { client, _ in
            let response = try await client.execute(uri: "/openapi.yaml", method: .get)
            struct Verdict: Decodable {
                var valid: Bool
                var error: String?
            }
            let verdict = try await Python.run("validate_openapi.py", input: String(buffer: response.body), as: Verdict.self)
            #expect(verdict.valid, "\(verdict.error ?? "")")
        }
    }

    // MARK: - Plumbing: thrown refusals, the split middlewares, the router's 405 table

    /// Every route the router has, asked with a method it does not take: 405 with exactly its methods
    /// in `Allow`. The table is the router's, so this list grows with every route added.
    @Test func everyRegisteredRouteRefusesAnotherMethodWith405ListingItsOwn() async throws {
        try await withWeb { client, fixture in
            let routes = fixture.web.router().routes
            #expect(routes.count >= 15, "\(routes)")
            let byPath = Dictionary(grouping: routes, by: \.path.description)
            for (path, described) in byPath {
                let methods = Set(described.map(\.method))
                let uri = "/" + described[0].path.map { "\($0)".hasPrefix("{") ? "01jd5z8q7w3m2k4n6p8r0t2v4x" : "\($0)" }.joined(separator: "/")
                let wrong = try #require([HTTPRequest.Method.put, .delete, .patch].first { !methods.contains($0) })
                let response = try await client.execute(uri: uri, method: wrong, headers: [.contentType: "application/json"])
                #expect(response.status == .methodNotAllowed, "\(wrong) \(path) as \(uri)")
                #expect(response.headers[.allow] == methods.map(\.rawValue).sorted().joined(separator: ", "), "\(path)")
                #expect(Self.error(response) == "method_not_allowed", "\(path)")
            }
        }
    }

    @Test func aRouteAddedToARouterIsInTheTableTakenFromIt() {
        let router = Router()
        router.get("/extra/:id") { _, _ in "got" }
        router.post("/extra/:id") { _, _ in "posted" }
        router.get("/files/**") { _, _ in "file" }
        let table = MethodNotAllowedMiddleware<BasicRequestContext>(routes: router.routes)
        #expect(table.allowedMethods(path: "/extra/abc") == [.get, .post])
        #expect(table.allowedMethods(path: "/files/a/b/c") == [.get])
        #expect(table.allowedMethods(path: "/extra") == nil)
        #expect(table.allowedMethods(path: "/extra/abc/def") == nil)
        #expect(table.allowedMethods(path: "/nowhere") == nil)
    }

    @Test func anUnknownPathIs404EvenWithAnotherMethod() async throws {
        try await withWeb { client, _ in
            for method in [HTTPRequest.Method.get, .delete, .post] {
                let response = try await client.execute(uri: "/api/nowhere", method: method, headers: [.contentType: "application/json"])
                #expect(response.status == .notFound, "\(method)")
                #expect(response.headers[.allow] == nil)
                #expect(try Self.object(response)["message"] as? String == "Not Found", "Hummingbird's own 404 keeps the API's error body")
            }
        }
    }

    static func error(_ response: TestResponse) -> String? { (try? object(response))?["error"] as? String }

    /// A refusal from a route, from a check in front of the routes, from a page and from Hummingbird
    /// itself: each thrown, each answered with its status and body, the security headers, a request id,
    /// one log line with that id, and a count in the metrics.
    @Test func everyKindOfRefusalGetsHeadersALogLineAndACount() async throws {
        let lines = LogLines()
        var logger = Logger(label: "web-test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .info
        try await withWeb(logger: logger) { client, _ in
            struct Refusal {
                var uri: String
                var method: HTTPRequest.Method
                var headers: HTTPFields
                var status: HTTPResponse.Status
                var body: String
            }
            let refusals = [
                Refusal(uri: "/api/wishes?limit=0", method: .get, headers: [:], status: .badRequest, body: "limit must be a whole number from 1 to 100"),
                Refusal(
                    uri: "/api/wishes", method: .post, headers: [.contentType: "text/plain"], status: .unsupportedMediaType, body: "unsupported_media_type"),
                Refusal(uri: "/api/wishes", method: .delete, headers: [:], status: .methodNotAllowed, body: "DELETE is not allowed here; use GET, POST"),
                Refusal(
                    uri: "/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x", method: .get, headers: [:], status: .notFound, body: "no wish 01jd5z8q7w3m2k4n6p8r0t2v4x"),
                Refusal(uri: "/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x", method: .get, headers: [:], status: .notFound, body: "No such wish"),
                Refusal(uri: "/nowhere", method: .get, headers: [:], status: .notFound, body: #""error":"error""#),
            ]
            for refusal in refusals {
                let response = try await client.execute(uri: refusal.uri, method: refusal.method, headers: refusal.headers)
                #expect(response.status == refusal.status, "\(refusal.uri)")
                #expect(String(buffer: response.body).contains(refusal.body), "\(refusal.uri): \(String(buffer: response.body))")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true, "\(refusal.uri)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(refusal.uri)")
                let id = try #require(response.headers[HTTPField.Name("X-Request-Id")!], "\(refusal.uri)")
                let logged = lines.requests.filter { $0["requestId"] == id }
                #expect(logged.count == 1, "\(refusal.uri)")
                #expect(logged.first?["status"] == "\(refusal.status.code)", "\(refusal.uri)")
                #expect(logged.first?["path"] == String(refusal.uri.prefix { $0 != "?" }))
            }
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"wishes_http_requests_total{code="4xx"} \#(refusals.count)"#), "\(metrics)")
        }
    }

    @Test func aFormWithoutItsCSRFTokenGetsAPageSayingWhatToDo() async throws {
        try await withWeb { client, _ in
            let response = try await client.execute(
                uri: "/wishes", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "wish=x"))
            #expect(response.status == .forbidden)
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: response.body).contains("missing or wrong CSRF token: reload the page and submit again"))
        }
    }

    @Test func theAPIErrorBodyHasCodeMessageProblemsAndAWSError() throws {
        let error = APIError(
            .serviceUnavailable, "not_queued", "SQS refused", problems: [.init(field: "vcpus", rule: "must be 0.25")], awsError: "AccessDenied",
            headers: [.retryAfter: "5"])
        let response = error.response()
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.headers[.retryAfter] == "5")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(error.body)) as? [String: Any])
        #expect(object["error"] as? String == "not_queued")
        #expect(object["message"] as? String == "SQS refused")
        #expect(object["awsError"] as? String == "AccessDenied")
        #expect(object["problems"] as? [[String: String]] == [["field": "vcpus", "rule": "must be 0.25"]])
        let bare = try #require(try JSONSerialization.jsonObject(with: Data(APIError(.notFound, "not_found", "no such wish").body)) as? [String: Any])
        #expect(Set(bare.keys) == ["error", "message"], "no empty problems, no null awsError")
    }

    // MARK: - Pages: the command field, wishes without text

    /// The home page's CSRF cookie and token, and the form's headers with the cookie.
    func formSession(_ client: some TestClientProtocol) async throws -> (headers: HTTPFields, token: String) {
        let home = try await client.execute(uri: "/", method: .get)
        let cookie = try #require(home.headers[.setCookie]?.split(separator: ";").first.map(String.init))
        return ([.contentType: "application/x-www-form-urlencoded", .cookie: cookie], String(cookie.dropFirst("csrf=".count)))
    }

    func postForm(_ client: some TestClientProtocol, _ fields: [(String, String)]) async throws -> TestResponse {
        let (headers, token) = try await formSession(client)
        let encoded = ([("csrf", token)] + fields).map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(
            separator: "&")
        return try await client.execute(uri: "/wishes", method: .post, headers: headers, body: ByteBuffer(string: encoded))
    }

    /// The wish a page's redirect points at, as the API describes it.
    func described(_ client: some TestClientProtocol, _ posted: TestResponse) async throws -> [String: Any] {
        let location = try #require(posted.headers[.location])
        return try Self.object(try await client.execute(uri: "/api" + location, method: .get))
    }

    @Test func theCommandFieldSplitsItsPlaceholderAsAShellDoes() async throws {
        try await withWeb { client, _ in
            let home = String(buffer: try await client.execute(uri: "/", method: .get).body)
            #expect(home.contains("placeholder=\"sh -c 'echo hello'\""))
            let posted = try await postForm(client, [("wish", "hello"), ("command", "sh -c 'echo hello'")])
            #expect(posted.status == .seeOther, "\(String(buffer: posted.body))")
            let spec = try #require(try await described(client, posted)["spec"] as? [String: Any])
            #expect(spec["command"] as? [String] == ["sh", "-c", "echo hello"])
            let page = String(buffer: try await client.execute(uri: try #require(posted.headers[.location]), method: .get).body)
            #expect(page.contains("<code>sh -c &#39;echo hello&#39;</code>"), "the command is shown as it can be typed again")
        }
    }

    @Test func anUnterminatedQuoteInTheCommandIsA400NamingItAndQueuesNothing() async throws {
        try await withWeb { client, fixture in
            let posted = try await postForm(client, [("wish", "hello"), ("command", "sh -c 'echo hello"), ("vcpus", "3")])
            #expect(posted.status == .badRequest)
            let page = String(buffer: posted.body)
            #expect(page.contains("<b>command</b>: the single quote at character 7 is never closed"), "\(page)")
            #expect(page.contains("<b>vcpus</b>"), "the other fields' problems are named too")
            #expect(page.contains("value=\"sh -c &#39;echo hello\""), "the field keeps what was typed")
            #expect(try await fixture.aws.sqs.receiveMessages(queueURL: fixture.queueURL, waitTimeSeconds: 1).isEmpty)
        }
    }

    @Test func aWishWithoutTextGetsADefaultTextAndALinkInTheList() async throws {
        try await withWeb { client, _ in
            let counted = try await postForm(client, [("wish", "")])
            #expect(counted.status == .seeOther, "\(String(buffer: counted.body))")
            let countedWish = try await described(client, counted)
            #expect((countedWish["spec"] as? [String: Any])?["wish"] as? String == "Count to three")
            let commanded = try await postForm(client, [("wish", " "), ("command", "echo 'hi there'")])
            #expect((try await described(client, commanded)["spec"] as? [String: Any])?["wish"] as? String == "echo 'hi there'")
            let id = try #require(countedWish["id"] as? String)
            let list = String(buffer: try await client.execute(uri: "/wishes", method: .get).body)
            #expect(list.contains("<a href=\"/wishes/\(id)\">Count to three</a>"), "\(list)")
            let viaAPI = try Self.object(try await submit(client, #"{"wish":""}"#))
            #expect((viaAPI["spec"] as? [String: Any])?["wish"] as? String == "Count to three")
            let commandViaAPI = try Self.object(try await submit(client, #"{"command":["echo","hi there"]}"#))
            #expect((commandViaAPI["spec"] as? [String: Any])?["wish"] as? String == "echo 'hi there'")
        }
    }

    /// Wishes stored before they got a default text still have a title and a link.
    @Test func aStoredWishWithEmptyTextIsListedAndTitledByItsDefault() throws {
        let id = try #require(WishID("01jd5z8q7w3m2k4n6p8r0t2v4x"))
        let empty = WishSummary(spec: WishSpec(wish: ""), status: WishStatus(id: id))
        let list = Pages.list([empty], next: nil, state: nil)
        #expect(list.contains("<a href=\"/wishes/\(id)\">Count to three</a>"))
        let detail = Pages.detail(
            WishDetail(spec: WishSpec(wish: "  ", command: ["sh", "-c", "echo hi"]), status: WishStatus(id: id), results: [:], children: [:]), output: nil,
            csrf: "t")
        #expect(detail.contains("<h1>sh -c &#39;echo hi&#39;</h1>"))
        #expect(WishSpec(wish: "a pony").title == "a pony")
        #expect(WishSpec(wish: "", name: "nightly").title == "nightly")
    }
}

/// The log lines a test's web writes.
final class LogLines: Sendable {
    private let lines = NIOLockedValueBox([(message: String, metadata: [String: String])]())

    func append(_ message: String, _ metadata: [String: String]) { lines.withLockedValue { $0.append((message, metadata)) } }

    /// The request log's lines, their metadata as text.
    var requests: [[String: String]] { lines.withLockedValue { $0.filter { $0.message == "request" }.map(\.metadata) } }
}

struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let merged = self.metadata.merging(metadata ?? [:]) { _, new in new }
        lines.append("\(message)", merged.mapValues { "\($0)" })
    }
}
