import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import WishesAWS

/// The project's HTTP/1.1 client against Python's http.server (`Scripts/http_peer.py`), a peer we
/// did not write the HTTP of: keep-alive, framing, limits, deadlines and TLS.
@Suite struct HTTPClientTests {
    struct Echo: Decodable {
        var connection: Int
        var method: String
        var path: String
        var headers: [String: String]
        var body: String
    }

    struct Stats: Decodable {
        var connections: Int
        var active: Int
        var maxActive: Int
        var sni: [String?]
    }

    static func get(_ client: HTTPClient, _ url: String, timeout: Duration = .seconds(10), maxBodyBytes: Int = 1 << 20)
        async throws -> HTTPClient.Response
    {
        try await client.execute(HTTPClient.Request(method: .GET, url: url), timeout: timeout, maxBodyBytes: maxBodyBytes)
    }

    /// Asked on the host the test's requests used, so it rides one of their connections.
    static func stats(_ peer: PeerProcess, scheme: String = "http", host: String = "127.0.0.1", client: HTTPClient) async throws -> Stats {
        let answer = try await get(client, "\(scheme)://\(host):\(peer.port)/stats")
        return try JSONDecoder().decode(Stats.self, from: Data(buffer: answer.body))
    }

    @Test func sequentialRequestsReuseOneKeepAliveConnection() async throws {
        let peer = try await PeerProcess.start(script: "http_peer.py")
        let client = HTTPClient()
        var connections = Set<Int>()
        for n in 0..<5 {
            var request = try HTTPClient.Request(method: .POST, url: "http://127.0.0.1:\(peer.port)/echo?n=\(n)", body: Array("body \(n)".utf8))
            request.headers.add(name: "X-Test", value: "\(n)")
            let answer = try await client.execute(request, timeout: .seconds(10))
            #expect(answer.status == 200)
            let echo = try JSONDecoder().decode(Echo.self, from: Data(buffer: answer.body))
            #expect(echo.method == "POST" && echo.path == "/echo?n=\(n)" && echo.body == "body \(n)")
            #expect(echo.headers["Host"] == "127.0.0.1:\(peer.port)" && echo.headers["X-Test"] == "\(n)")
            #expect(echo.headers["Content-Length"] == "\("body \(n)".utf8.count)")
            connections.insert(echo.connection)
        }
        #expect(connections.count == 1, "one connection for five requests, not \(connections.count)")
        await client.shutdown()
    }

    @Test func chunkedAndEmptyBodiesAreFramedAsTheServerSentThem() async throws {
        let peer = try await PeerProcess.start(script: "http_peer.py")
        let client = HTTPClient()
        let chunked = try await Self.get(client, "http://127.0.0.1:\(peer.port)/chunked?parts=4")
        #expect(String(buffer: chunked.body) == "part 0;part 1;part 2;part 3;")
        let head = try await client.execute(HTTPClient.Request(method: .HEAD, url: "http://127.0.0.1:\(peer.port)/big?bytes=5000"), timeout: .seconds(5))
        #expect(head.status == 200 && head.body.readableBytes == 0 && head.headers.first(name: "Content-Length") == "5000")
        let missing = try await Self.get(client, "http://127.0.0.1:\(peer.port)/nowhere")
        #expect(missing.status == 404 && String(buffer: missing.body) == "no such path", "any status is an answer")
        // After all three the connection is still good.
        #expect(try await Self.get(client, "http://127.0.0.1:\(peer.port)/big?bytes=3").body.readableBytes == 3)
        #expect(try await Self.stats(peer, client: client).connections == 1)
        await client.shutdown()
    }

    @Test func aBodyOverTheLimitFailsAndItsConnectionIsNotReused() async throws {
        let peer = try await PeerProcess.start(script: "http_peer.py")
        let client = HTTPClient()
        await #expect(throws: HTTPClientError.bodyTooLarge(host: "127.0.0.1", limit: 1000)) {
            _ = try await Self.get(client, "http://127.0.0.1:\(peer.port)/big?bytes=100000", maxBodyBytes: 1000)
        }
        #expect(try await Self.get(client, "http://127.0.0.1:\(peer.port)/big?bytes=1000", maxBodyBytes: 1000).body.readableBytes == 1000)
        #expect(try await Self.stats(peer, client: client).connections == 2, "the cut-off connection was dropped")
        await client.shutdown()
    }

    @Test func aServerThatNeverAnswersFailsAtTheDeadline() async throws {
        let peer = try await PeerProcess.start(script: "http_peer.py")
        let client = HTTPClient()
        let started = ContinuousClock.now
        await #expect(throws: HTTPClientError.deadlineExceeded(host: "127.0.0.1", seconds: 0.5)) {
            _ = try await Self.get(client, "http://127.0.0.1:\(peer.port)/hang", timeout: .milliseconds(500))
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(450) && waited < .seconds(5), "waited \(waited)")
        #expect(try await Self.get(client, "http://127.0.0.1:\(peer.port)/big?bytes=1").status == 200, "a fresh connection serves the next")
        await client.shutdown()
    }

    @Test func aCancelledRequestEndsAtOnce() async throws {
        let peer = try await PeerProcess.start(script: "http_peer.py")
        let client = HTTPClient()
        let task = Task { try await Self.get(client, "http://127.0.0.1:\(peer.port)/hang", timeout: .seconds(20)) }
        // Cancelled once the server holds the request (the /stats asking counts itself), so what is
        // timed is the cancel alone.
        let watcher = HTTPClient()
        // A `while`, not `for … where`: a `where` goes on asking for all its rounds once the request
        // is held, and under load those rounds outlast the request's own deadline.
        var rounds = 0
        while try await Self.stats(peer, client: watcher).active < 2, rounds < 200 {
            rounds += 1
            try await Task.sleep(for: .milliseconds(50))
        }
        let started = ContinuousClock.now
        task.cancel()
        await #expect(throws: HTTPClientError.cancelled) { _ = try await task.value }
        #expect(ContinuousClock.now - started < .seconds(2))
        await client.shutdown()
        await watcher.shutdown()
    }

    @Test func concurrentRequestsNeverOpenMoreConnectionsThanTheLimit() async throws {
        let peer = try await PeerProcess.start(script: "http_peer.py")
        let client = HTTPClient(configuration: .init(maxConnectionsPerHost: 2))
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await Self.get(client, "http://127.0.0.1:\(peer.port)/slow?seconds=0.2").status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 8))
        let stats = try await Self.stats(peer, client: client)
        #expect(stats.maxActive <= 2, "at most two exchanges at once, saw \(stats.maxActive)")
        #expect(stats.connections == 2, "the two connections were reused for all eight")
        await client.shutdown()
    }

    @Test func aWaitingRequestStillHasItsDeadline() async throws {
        let peer = try await PeerProcess.start(script: "http_peer.py")
        let client = HTTPClient(configuration: .init(maxConnectionsPerHost: 1))
        async let busy = Self.get(client, "http://127.0.0.1:\(peer.port)/slow?seconds=2")
        try await Task.sleep(for: .milliseconds(200))
        await #expect(throws: HTTPClientError.deadlineExceeded(host: "127.0.0.1", seconds: 0.3)) {
            _ = try await Self.get(client, "http://127.0.0.1:\(peer.port)/big?bytes=1", timeout: .milliseconds(300))
        }
        #expect(try await busy.status == 200)
        await client.shutdown()
    }

    @Test func connectionsThePeerClosesAreNotReused() async throws {
        let peer = try await PeerProcess.start(script: "http_peer.py")
        let client = HTTPClient()
        let first = try await Self.get(client, "http://127.0.0.1:\(peer.port)/close")
        let second = try await Self.get(client, "http://127.0.0.1:\(peer.port)/idle-close")
        #expect(String(buffer: first.body) != String(buffer: second.body), "Connection: close is honoured")
        try await Task.sleep(for: .milliseconds(600))
        let third = try await Self.get(client, "http://127.0.0.1:\(peer.port)/big?bytes=2")
        #expect(third.status == 200, "the connection the peer closed while idle was not picked")
        #expect(try await Self.stats(peer, client: client).connections == 3)
        await client.shutdown()
    }

    @Test func refusedConnectionsAndBadURLsSayWhatFailed() async throws {
        let client = HTTPClient()
        // A port nothing listens on: bind one, close it.
        let socket = try await ServerBootstrap(group: client.eventLoopGroup).bind(host: "127.0.0.1", port: 0).get()
        let port = socket.localAddress!.port!
        try await socket.close()
        await #expect {
            _ = try await Self.get(client, "http://127.0.0.1:\(port)/")
        } throws: { error in
            guard case .connectFailed(let host, _) = error as? HTTPClientError else { return false }
            return host == "127.0.0.1"
        }
        #expect(throws: HTTPClientError.invalidURL("ftp://example.com/")) { try HTTPClient.Request(method: .GET, url: "ftp://example.com/") }
        #expect(throws: HTTPClientError.invalidURL("http://exa mple.com/a b")) {
            try HTTPClient.Request(method: .GET, url: "http://exa mple.com/a b")
        }
        let request = try HTTPClient.Request(method: .GET, url: "https://[::1]:8443?x=1")
        #expect(request.host == "[::1]" && request.bareHost == "::1" && request.port == 8443 && request.target == "/?x=1")
        #expect(request.hostHeader == "[::1]:8443")
        await client.shutdown()
    }

    @Test func tlsChecksTheCertificateAgainstTheTrustRootsAndNamesTheHost() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let peer = try await PeerProcess.start(script: "http_peer.py", arguments: ["--tls", directory.path])
        let trusting = HTTPClient(configuration: .init(caBundle: directory.appendingPathComponent("ca.pem").path))
        let byName = try await Self.get(trusting, "https://localhost:\(peer.port)/echo")
        #expect(byName.status == 200)
        let byAddress = try await Self.get(trusting, "https://127.0.0.1:\(peer.port)/echo")
        #expect(byAddress.status == 200, "the certificate names 127.0.0.1 too")
        #expect(
            try await Self.stats(peer, scheme: "https", host: "localhost", client: trusting).sni == ["localhost", nil],
            "SNI names hosts, never addresses")

        let system = HTTPClient()
        await #expect {
            _ = try await Self.get(system, "https://localhost:\(peer.port)/echo")
        } throws: { error in
            guard case .connectFailed("localhost", let reason) = error as? HTTPClientError else { return false }
            return reason.hasPrefix("TLS handshake: ") && reason.contains("CERTIFICATE_VERIFY_FAILED")
        }
        let missing = HTTPClient(configuration: .init(caBundle: directory.appendingPathComponent("nothing.pem").path))
        await #expect {
            _ = try await Self.get(missing, "https://localhost:\(peer.port)/echo")
        } throws: { error in
            guard case .trustRoots(let reason) = error as? HTTPClientError else { return false }
            return reason.contains("nothing.pem")
        }
        await trusting.shutdown()
        await system.shutdown()
        await missing.shutdown()
    }
}
