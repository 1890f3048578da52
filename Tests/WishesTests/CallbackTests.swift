import Foundation
import NIOPosix
import Testing

@testable import Wishes
@testable import WishesAWS

/// Where a callback may go, how it is signed, and that it connects only where it was checked.
struct CallbackTests {
    /// Every spelling of a forbidden address a resolver accepts is read as that address.
    @Test(arguments: [
        ("127.0.0.1", "loopback"), ("2130706433", "loopback"), ("0x7f000001", "loopback"),
        ("0x7f.1", "loopback"),
        ("0177.0.0.1", "loopback"), ("127.1", "loopback"), ("127.0.0.1.", "loopback"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"), ("[::ffff:7f00:1]", "loopback"),
        ("[0:0:0:0:0:ffff:7f00:0001]", "loopback"),
        ("169.254.169.254", "metadata"), ("0xA9FEA9FE", "metadata"), ("2852039166", "metadata"),
        ("169.254.170.2", "metadata"),
        ("[fd00:ec2::254]", "metadata"), ("[::ffff:169.254.169.254]", "metadata"),
        ("[64:ff9b::a9fe:a9fe]", "metadata"),
        ("[2002:a9fe:a9fe::1]", "metadata"), ("169.254.1.1", "link-local"), ("[fe80::1]", "link-local"),
        ("10.0.0.1", "private"), ("012.0.0.1", "private"), ("172.16.5.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"), ("[fd12:3456::1]", "unique local (IPv6 private)"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("0.0.0.0", "unspecified"), ("0", "unspecified"), ("[::]", "unspecified"),
        ("224.0.0.1", "multicast"), ("[ff02::1]", "multicast"),
        ("255.255.255.255", "broadcast"), ("240.0.0.1", "reserved"), ("198.18.0.1", "reserved"),
        ("192.0.2.1", "documentation"),
        ("[2001:db8::1]", "documentation"),
        ("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "a tunnel that hides its IPv4 address (Teredo)"),
    ])
    func everySpellingOfAForbiddenAddressIsRecognised(_ text: String, _ expected: String) throws {
        let address = try #require(NetworkAddress(text), "\(text) is an address")
        #expect(address.restriction?.rawValue == expected, "\(text) read as \(address)")
    }

    @Test(arguments: [
        "8.8.8.8", "134744072", "0x08080808", "1.1.1.1", "[2606:4700:4700::1111]", "172.32.0.1",
        "[::ffff:8.8.8.8]",
    ])
    func publicAddressesPassInAnySpelling(_ text: String) throws {
        let address = try #require(NetworkAddress(text))
        #expect(address.restriction == nil, "\(text) read as \(address)")
    }

    @Test(arguments: [
        "example.com", "hooks.example.com", "a1b2", "cafe", "1.2.3.4.5", "300.1.1.1", "0x1g",
    ])
    func namesAreNotAddresses(_ text: String) {
        #expect(NetworkAddress(text) == nil)
    }

    /// What can be judged from the text is judged at submit, with a 400 that says why.
    @Test(arguments: [
        ("https://169.254.169.254/latest/meta-data/", "metadata"), ("https://0xA9FEA9FE/", "metadata"),
        ("https://[fd00:ec2::254]/x", "metadata"),
        ("https://10.1.2.3/hook", "private"), ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://0.0.0.0/", "unspecified"),
        ("http://example.com/hook", "must use https"), ("ftp://example.com/", "scheme must be https"),
        ("https://user:password@example.com/", "user info"), ("https://example.com/#frag", "fragment"),
        ("https://[fe80::1%25eth0]/", "zone"), ("https://exa mple.com/", "spaces"),
        ("https:///path", "must name a host"),
        ("https://example.com:0/", "port"), ("https://example.com:99999/", "port"),
    ])
    func aCallbackUrlThatCanNeverBeAllowedIsRefusedAtSubmit(_ url: String, _ says: String) throws {
        let body = try JSONSerialization.data(withJSONObject: ["wish": "w", "callbackUrl": url])
        do {
            // As the web submits in AWS: parsed, then the stack's limits applied.
            _ = try WishLimits().apply(to: WishSpec.parse(json: Array(body), now: Date()))
            Issue.record("\(url) was accepted")
        } catch {
            let problem = try #require(error.problems.first { $0.field == "callbackUrl" }, "\(error)")
            #expect(problem.rule.contains(says), "\(url): \(problem.rule)")
        }
    }

    /// Loopback depends on the stack: refused in AWS, allowed (over http too) by a local cloud.
    @Test func loopbackCallbacksAreAllowedOnlyWhereTheLocalCloudSaysSo() throws {
        let now = Date()
        for url in [
            "http://127.0.0.1:8080/done", "https://localhost/done", "http://[::1]:9/x",
            "https://2130706433/", "http://hooks.localhost/",
        ] {
            let spec: WishSpec
            do {
                spec = try WishSpec.parse(
                    json: Array(
                        try JSONSerialization.data(withJSONObject: ["wish": "w", "callbackUrl": url])), now: now
                )
            } catch {
                Issue.record("\(url): \(error)")
                continue
            }
            #expect(throws: WishValidationError.self, "\(url) in AWS") {
                try WishLimits().apply(to: spec)
            }
            var local = WishLimits()
            local.callbacks = CallbackPolicy(allowLoopback: true)
            #expect(throws: Never.self, "\(url) in a local cloud") { try local.apply(to: spec) }
        }
        // Plain http stays loopback-only even in a local cloud: a literal address is judged at
        // once, a name on the addresses it resolves to.
        let local = CallbackPolicy.fromEnvironment(["WISHES_CALLBACK_ALLOW_LOOPBACK": "1"])
        #expect(throws: CallbackURLError.self) { try local.judge(CallbackURL.parse("http://8.8.8.8/")) }
        let named = try CallbackURL.parse("http://example.com/")
        try local.judge(named)
        #expect(throws: CallbackURLError.self) {
            try local.check([NetworkAddress("127.0.0.1")!, NetworkAddress("93.184.215.14")!], of: named)
        }
        try local.check([NetworkAddress("127.0.0.1")!, NetworkAddress("::1")!], of: named)
        #expect(throws: CallbackURLError.self) { try CallbackPolicy().judge(named) }
    }

    /// Standard Webhooks' own example: a receiver using its libraries accepts our signature.
    @Test func theSignatureIsStandardWebhooks() throws {
        let key = try #require(Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = CallbackSignature(key: Array(key))
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let headers = signature.headers(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: Date(timeIntervalSince1970: 1_614_265_330),
            body: body)
        #expect(
            headers.first { $0.0 == "webhook-signature" }?.1
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(headers.first { $0.0 == "webhook-timestamp" }?.1 == "1614265330")
        let at = Date(timeIntervalSince1970: 1_614_265_330)
        #expect(
            signature.verify(
                id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                signatureHeader: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body: body, now: at))
        #expect(
            !signature.verify(
                id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                signatureHeader: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body: body + [0x20],
                now: at))
        #expect(
            !signature.verify(
                id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                signatureHeader: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body: body,
                now: at.addingTimeInterval(301)),
            "an old timestamp is a replay")
    }

    struct Received: Decodable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String
    }

    static func received(_ receiver: PeerProcess) async throws -> [Received] {
        try JSONDecoder().decode(
            [Received].self,
            from: Data(
                try await HTTP.call("GET", "http://127.0.0.1:\(receiver.port)/_test/requests").body.utf8))
    }

    /// A name that resolves to loopback is refused at send time, however public it looks.
    @Test func aNameThatResolvesToAForbiddenAddressIsRefusedWhenSent() async throws {
        let receiver = try await PeerProcess.start(script: "request_recorder.py")
        let resolver = StaticResolver([
            "hooks.example.com": [NetworkAddress("127.0.0.1")!],
            "mixed.example.com": [NetworkAddress("93.184.215.14")!, NetworkAddress("10.0.0.7")!],
        ])
        let inAWS = CallbackSender(
            policy: CallbackPolicy(), resolver: resolver,
            httpClient: TestAWS.httpClient)
        await #expect(
            throws: CallbackDeliveryError.refused(
                "hooks.example.com (127.0.0.1) is a loopback address; a callback must reach a public address"
            )
        ) {
            try await inAWS.send("https://hooks.example.com:\(receiver.port)/done", body: [], headers: [])
        }
        await #expect(
            throws: CallbackDeliveryError.refused(
                "mixed.example.com (10.0.0.7) is a private address; a callback must reach a public address"),
            "one private address among public ones is enough to refuse: DNS rebinding would use it"
        ) {
            try await inAWS.send("https://mixed.example.com/done", body: [], headers: [])
        }
        #expect(try await Self.received(receiver).isEmpty, "nothing was sent")
    }

    /// The connection goes to the address that was checked; the name stays in Host (and in TLS's SNI).
    @Test func theCallbackConnectsToTheCheckedAddressAndFollowsNoRedirect() async throws {
        let receiver = try await PeerProcess.start(script: "request_recorder.py")
        // No DNS server knows this name: only the checked address can have been used.
        let resolver = StaticResolver(["hooks.wishes-test.invalid": [NetworkAddress("127.0.0.1")!]])
        let local = CallbackSender(
            policy: CallbackPolicy(allowLoopback: true), resolver: resolver,
            httpClient: TestAWS.httpClient)
        let status = try await local.send(
            "http://HOOKS.wishes-test.invalid:\(receiver.port)/done?a=1", body: Array("{}".utf8),
            headers: [("webhook-id", "x")])
        #expect(status == 204)
        await #expect(throws: CallbackDeliveryError.self) {
            try await local.send(
                "http://hooks.wishes-test.invalid:\(receiver.port)/moved?redirect=1", body: [], headers: [])
        }
        let received = try await Self.received(receiver)
        #expect(
            received.map(\.path) == ["/done?a=1", "/moved?redirect=1"],
            "the redirect's target was never requested")
        let headers = Dictionary(
            (received.first?.headers ?? [:]).map { ($0.key.lowercased(), $0.value) }
        ) { a, _ in a }
        #expect(headers["host"] == "hooks.wishes-test.invalid:\(receiver.port)")
        #expect(headers["webhook-id"] == "x")
    }
}
