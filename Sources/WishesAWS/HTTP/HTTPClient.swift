import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 client on NIO: keep-alive connections pooled per host and bounded, TLS with SNI
/// and certificate checks, a deadline over each whole exchange, and a cap on what it reads.
///
/// It does what the AWS calls, the container credentials, the Runtime API and callbacks need and
/// nothing more: no HTTP/2, redirects, decompression, cookies or proxies. AsyncHTTPClient did the
/// same work here and brought HTTP/2, compression, tracing and configuration along, about a fifth
/// of the Lambda's `bootstrap`; and each of its async calls hopped through an actor and a task.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        /// The limit of one TCP connect (a shorter deadline of the exchange wins).
        public var connectTimeout: Duration
        /// Connections per host and port at once; further requests wait for one to come back.
        public var maxConnectionsPerHost: Int
        /// Idle connections older than this are closed rather than reused; below the servers'
        /// own keep-alive limits (S3 closes after about 20 s to minutes), a request rarely meets a
        /// connection the peer is closing.
        public var idleTimeout: Duration
        /// A PEM file of trusted roots, for images whose own trust store is missing or elsewhere;
        /// nil trusts the system's.
        public var caBundle: String?

        public init(
            connectTimeout: Duration = .seconds(5), maxConnectionsPerHost: Int = 32,
            idleTimeout: Duration = .seconds(50), caBundle: String? = nil
        ) {
            self.connectTimeout = connectTimeout
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.idleTimeout = idleTimeout
            self.caBundle = caBundle
        }
    }

    public struct Request: Sendable {
        public var method: HTTPMethod
        public var scheme: String
        /// As in the URL: a name, an IPv4 literal, or an IPv6 literal in brackets.
        public var host: String
        public var port: Int
        /// Path and query, as sent on the request line.
        public var target: String
        public var headers: HTTPHeaders
        public var body: [UInt8]
        /// Connect to this address instead of resolving `host`, which still names TLS (SNI and the
        /// certificate) and `Host`. Such a request gets a connection of its own, closed after it.
        public var address: SocketAddress?

        public init(method: HTTPMethod, url: String, headers: HTTPHeaders = [:], body: [UInt8] = []) throws(HTTPClientError) {
            let parts = url.split(separator: "://", maxSplits: 1)
            guard parts.count == 2 else { throw .invalidURL(url) }
            let rest = parts[1]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            guard let endpoint = Endpoint(url: "\(parts[0])://\(authority)"), endpoint.basePath.isEmpty else { throw .invalidURL(url) }
            var target = String(rest.dropFirst(authority.count))
            if !target.hasPrefix("/") { target = "/" + target }
            guard !target.contains(" "), !target.contains("#") else { throw .invalidURL(url) }
            self.method = method
            self.scheme = endpoint.scheme
            self.host = endpoint.host
            self.port = endpoint.port ?? (endpoint.scheme == "https" ? 443 : 80)
            self.target = target
            self.headers = headers
            self.body = body
            self.hostHeader = endpoint.hostHeader
        }

        /// `Host` when the headers name none: the URL's host, its port unless the scheme's default.
        var hostHeader: String

        /// The host without IPv6 brackets, as sockets and TLS want it.
        var bareHost: String { host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: ByteBuffer
        var keepAlive: Bool
    }

    public let eventLoopGroup: any EventLoopGroup
    let configuration: Configuration
    private let pool: NIOLockedValueBox<HTTPConnectionPool>
    /// Made on first use: loading the trust roots takes milliseconds a Lambda cold start need not
    /// spend before its first https call.
    private let tls = NIOLockedValueBox<NIOSSLContext?>(nil)

    public init(configuration: Configuration = .init(), eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.pool = NIOLockedValueBox(
            HTTPConnectionPool(
                maxConnectionsPerHost: configuration.maxConnectionsPerHost, idleTimeout: TimeAmount(configuration.idleTimeout)))
    }

    /// Sends `request` and reads its whole response, within `timeout` (nil: no deadline, for the
    /// Runtime API's `/next`, which waits by design). Any status is a response; transport
    /// failures throw.
    public func execute(_ request: Request, timeout: Duration?, maxBodyBytes: Int = 64 << 20) async throws(HTTPClientError) -> Response {
        let deadline = timeout.map { NIODeadline.now() + TimeAmount($0) }
        let key = HTTPConnectionPool.Key(scheme: request.scheme, host: request.bareHost, port: request.port)
        if request.address != nil {
            let channel = try await connect(request, deadline: deadline)
            defer { channel.close(promise: nil) }
            return try await exchange(request, on: channel, deadline: deadline, timeout: timeout, maxBodyBytes: maxBodyBytes)
        }
        let channel = try await checkout(request, key: key, deadline: deadline, timeout: timeout)
        let result: Result<Response, HTTPClientError>
        do {
            result = .success(try await exchange(request, on: channel, deadline: deadline, timeout: timeout, maxBodyBytes: maxBodyBytes))
        } catch {
            result = .failure(error)
        }
        if case .success(let response) = result, response.keepAlive, channel.isActive {
            checkin(key, channel)
        } else {
            channel.close(promise: nil)
            resumeToRetry(pool.withLockedValue { $0.release(key) })
        }
        return try result.get()
    }

    /// Closes the idle connections and fails the requests waiting for one. Exchanges under way end
    /// on their own; the event loop group is not this client's to stop.
    public func shutdown() async {
        let (idle, waiters) = pool.withLockedValue { $0.shutDown() }
        for channel in idle { channel.close(promise: nil) }
        for waiter in waiters { waiter.continuation.resume(throwing: HTTPClientError.shutDown) }
    }

    // MARK: Connections

    private func checkout(_ request: Request, key: HTTPConnectionPool.Key, deadline: NIODeadline?, timeout: Duration?)
        async throws(HTTPClientError) -> any Channel
    {
        while true {
            var stale: [any Channel] = []
            let step = pool.withLockedValue { $0.checkout(key, now: .now(), stale: &stale) }
            for channel in stale { channel.close(promise: nil) }
            switch step {
            case .use(let channel):
                return channel
            case .shutDown:
                throw .shutDown
            case .connect:
                do {
                    let channel = try await connect(request, deadline: deadline)
                    watchWhileIdle(key, channel)
                    return channel
                } catch {
                    resumeToRetry(pool.withLockedValue { $0.release(key) })
                    throw error
                }
            case .wait(let id):
                if let handed = try await wait(key, id: id, deadline: deadline, timeout: timeout) { return handed }
            }
        }
    }

    /// Waits for another exchange to give back a connection or free a slot (nil: try again).
    private func wait(_ key: HTTPConnectionPool.Key, id: Int, deadline: NIODeadline?, timeout: Duration?)
        async throws(HTTPClientError) -> (any Channel)?
    {
        let pool = self.pool
        let host = key.host
        let timer = deadline.map { deadline in
            eventLoopGroup.any().scheduleTask(deadline: deadline) {
                pool.withLockedValue { $0.removeWaiter(key, id: id) }?.continuation.resume(
                    throwing: HTTPClientError.deadlineExceeded(host: host, seconds: timeout?.seconds ?? 0))
            }
        }
        defer { timer?.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    enum Queued { case waiting, checkAgain, shutDown }
                    let queued = pool.withLockedValue { state -> Queued in
                        guard !state.isShutDown else { return .shutDown }
                        return state.enqueue(key, .init(id: id, continuation: continuation)) ? .waiting : .checkAgain
                    }
                    switch queued {
                    case .waiting: break
                    case .checkAgain: continuation.resume(returning: nil)
                    case .shutDown: continuation.resume(throwing: HTTPClientError.shutDown)
                    }
                }
            } onCancel: {
                pool.withLockedValue { $0.removeWaiter(key, id: id) }?.continuation.resume(throwing: HTTPClientError.cancelled)
            }
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw .transport(host: host, reason: "\(error)")
        }
    }

    private func checkin(_ key: HTTPConnectionPool.Key, _ channel: any Channel) {
        switch pool.withLockedValue({ $0.checkin(key, channel, now: .now()) }) {
        case .handTo(let waiter): waiter.continuation.resume(returning: channel)
        case .keptIdle: break
        case .close: channel.close(promise: nil)
        }
    }

    private func resumeToRetry(_ waiter: HTTPConnectionPool.Waiter?) {
        waiter?.continuation.resume(returning: nil)
    }

    /// A peer that closes an idle keep-alive connection frees its slot at once, so the next request
    /// does not pick a dead connection.
    private func watchWhileIdle(_ key: HTTPConnectionPool.Key, _ channel: any Channel) {
        let pool = self.pool
        channel.closeFuture.whenComplete { _ in
            let (dropped, waiter) = pool.withLockedValue { $0.dropIdle(key, channel) }
            if dropped { waiter?.continuation.resume(returning: nil) }
        }
    }

    private func connect(_ request: Request, deadline: NIODeadline?) async throws(HTTPClientError) -> any Channel {
        let host = request.bareHost
        var limit = TimeAmount(configuration.connectTimeout)
        if let deadline { limit = min(limit, deadline - .now()) }
        guard limit > .zero else { throw .deadlineExceeded(host: host, seconds: 0) }
        let context = request.scheme == "https" ? try tlsContext() : nil
        // SNI carries names only; for an address literal the certificate is checked against the address.
        let serverName = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
        let started = NIODeadline.now()
        let loop = eventLoopGroup.any()
        let handshake = context == nil ? nil : loop.makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(limit)
            .channelInitializer { channel in
                do {
                    let pipeline = channel.pipeline.syncOperations
                    if let context {
                        try pipeline.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(HTTPExchangeHandler(handshake: handshake))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let connecting = request.address.map { bootstrap.connect(to: $0) } ?? bootstrap.connect(host: host, port: request.port)
        let channel: any Channel
        do {
            channel = try await Self.cancellable(connecting)
        } catch ChannelError.connectTimeout {
            handshake?.fail(ChannelError.connectTimeout(limit))
            throw .connectTimeout(host: host, seconds: limit.seconds)
        } catch let error as HTTPClientError {
            handshake?.fail(error)
            throw error
        } catch {
            handshake?.fail(error)
            throw .connectFailed(host: host, reason: "\(error)")
        }
        guard let handshake else { return channel }
        // The handshake shares the connect's time limit.
        let timer = channel.eventLoop.scheduleTask(deadline: started + limit) {
            Self.close(channel, because: .connectTimeout(host: host, seconds: limit.seconds))
        }
        defer { timer.cancel() }
        do {
            try await Self.cancellable(handshake.futureResult)
            return channel
        } catch {
            channel.close(promise: nil)
            switch error as? HTTPClientError {
            case .connectTimeout, .cancelled: throw error as! HTTPClientError
            default: throw .connectFailed(host: host, reason: "TLS handshake: \(error)")
            }
        }
    }

    /// Awaits `future`, or fails with `.cancelled` as soon as the task is (a connect or handshake
    /// would otherwise run on to its own timeout); a channel that connects afterwards is closed.
    private static func cancellable<Value: Sendable>(_ future: EventLoopFuture<Value>) async throws -> Value {
        let outcome = future.eventLoop.makePromise(of: Value.self)
        future.cascade(to: outcome)
        return try await withTaskCancellationHandler {
            try await outcome.futureResult.get()
        } onCancel: {
            outcome.fail(HTTPClientError.cancelled)
            future.whenSuccess { if let channel = $0 as? any Channel { channel.close(promise: nil) } }
        }
    }

    private func tlsContext() throws(HTTPClientError) -> NIOSSLContext {
        let caBundle = configuration.caBundle
        let made: Result<NIOSSLContext, HTTPClientError> = tls.withLockedValue { cached in
            if let cached { return .success(cached) }
            var settings = TLSConfiguration.makeClientConfiguration()
            if let caBundle { settings.trustRoots = .file(caBundle) }
            do {
                let context = try NIOSSLContext(configuration: settings)
                cached = context
                return .success(context)
            } catch {
                return .failure(.trustRoots("\(caBundle ?? "the system's trust store"): \(error)"))
            }
        }
        return try made.get()
    }

    // MARK: Exchanges

    private func exchange(_ request: Request, on channel: any Channel, deadline: NIODeadline?, timeout: Duration?, maxBodyBytes: Int)
        async throws(HTTPClientError) -> Response
    {
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.target, headers: request.headers)
        if !head.headers.contains(name: "Host") { head.headers.add(name: "Host", value: request.hostHeader) }
        if !request.body.isEmpty || [.POST, .PUT, .PATCH].contains(request.method) {
            head.headers.replaceOrAdd(name: "Content-Length", value: String(request.body.count))
        }
        let host = request.bareHost
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let body = request.body.isEmpty ? nil : channel.allocator.buffer(bytes: request.body)
        let exchange = HTTPExchange(head: head, body: body, host: host, maxBodyBytes: maxBodyBytes, promise: promise)
        channel.writeAndFlush(exchange).whenFailure { _ in
            // The pipeline never took the exchange (the channel closed first).
            promise.fail(HTTPClientError.connectionClosed(host: host))
        }
        let timer = deadline.map { deadline in
            channel.eventLoop.scheduleTask(deadline: deadline) {
                Self.close(channel, because: .deadlineExceeded(host: host, seconds: timeout?.seconds ?? 0))
            }
        }
        defer { timer?.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                Self.close(channel, because: .cancelled)
            }
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw .transport(host: host, reason: "\(error)")
        }
    }

    /// Closes a connection mid-exchange so that the exchange fails with `reason`.
    private static func close(_ channel: any Channel, because reason: HTTPClientError) {
        channel.eventLoop.execute {
            if let handler = try? channel.pipeline.syncOperations.handler(type: HTTPExchangeHandler.self) {
                handler.closeReason = reason
            }
            channel.close(promise: nil)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    var seconds: Double { Double(nanoseconds) / 1e9 }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
