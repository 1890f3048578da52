import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import Wishes
@testable import WishesWeb

/// Every route and error of the web front, through its router, with S3 and SQS on moto.
@Suite(.serialized)
struct WebTests {
    static let xss = #""><script>alert(1)</script><img src=x onerror=alert(2)>"#

    /// A bucket and a queue of its own, the router over them, and the client that calls it.
    func withWeb(token: String? = nil, queueURL: String? = nil, _ body: @escaping @Sendable (any TestClientProtocol, WebFixture) async throws -> Void) async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let settings = WishesSettings(bucket: bucket, queueURL: queueURL ?? queue, asapQueueURL: queueURL ?? queue)
                let web = WebApp(book: WishBook(aws: AWSClients(client: aws.client), settings: settings), token: token)
                let fixture = WebFixture(aws: aws, bucket: bucket, queueURL: queue, settings: settings)
                try await Application(router: web.router()).test(.router) { client in try await body(client, fixture) }
            }
        }
    }

    struct WebFixture: Sendable {
        var aws: TestAWS
        var bucket: String
        var queueURL: String
        var settings: WishesSettings
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
            for path in ["/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x", "/api/wishes/..%2F..%2Fetc", "/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x/output",
                         "/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x", "/nowhere"] {
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
            let store = StatusStore(s3: fixture.aws.s3, bucket: fixture.bucket, layout: fixture.settings.layout)
            // Child 0 succeeded, 7 failed for good, 999 waits in RUNNABLE, 1200 is past the summary;
            // the rest have no status yet.
            for (index, state) in [(0, WishState.succeeded), (999, .runnable), (1200, .succeeded)] {
                try await store.merge(WishStatus(id: wishID, arrayIndex: index, attempts: [AttemptStatus(number: 1, state: state)]))
            }
            try await store.merge(WishStatus(id: wishID, arrayIndex: 7, final: .init(state: .failed, reason: "exit 1", at: Date())))
            try await fixture.aws.s3.putObject(bucket: fixture.bucket, key: fixture.settings.layout.output(WishSubject(id: wishID, arrayIndex: 3), attempt: 1), body: Array("no status".utf8))
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
            #expect(try await client.execute(uri: "/wishes", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(token)&wish=x")).status == .forbidden)
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
                "wish": payload, "command": ["sh", "-c", payload], "callbackUrl": "https://example.com/\(payload.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")",
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
            let fields = ["wish", "name", "command", "environment", "queue", "vcpus", "memory", "attempts", "timeoutSeconds", "arraySize",
                          "dependsOn", "notBefore", "callbackUrl"].map { "\($0)=\(encoded)" }.joined(separator: "&")
            let refused = try await client.execute(uri: "/wishes", method: .post,
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
            struct Verdict: Decodable { var valid: Bool; var error: String? }
            let verdict = try await Python.run("validate_openapi.py", input: String(buffer: response.body), as: Verdict.self)
            #expect(verdict.valid, "\(verdict.error ?? "")")
        }
    }
}
