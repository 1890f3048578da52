import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The keys of a wish's job role: assumed with the task's own credentials, kept, and assumed again
/// before they run out, so whoever asks always gets keys with time left.
///
/// The SDKs fetch container credentials again when theirs have 5 to 15 minutes left (botocore's
/// advisory refresh at 15, its mandatory one at 10), so keys with less than `refreshWithin` left
/// are replaced on the next request, and `keepFresh` replaces them a minute before that without
/// waiting for one. One assumption at a time: concurrent requests wait for the one in flight.
public actor JobRoleKeys {
    public typealias Source = @Sendable () async throws -> Credentials

    let source: Source
    let refreshWithin: TimeInterval
    let now: @Sendable () -> Date
    let logger: Logger
    private var current: Credentials?
    private var refreshing = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var lastError: (any Error)?

    public init(
        refreshWithin: TimeInterval = 15 * 60, now: @escaping @Sendable () -> Date = { Date() }, logger: Logger,
        source: @escaping Source
    ) {
        self.source = source
        self.refreshWithin = refreshWithin
        self.now = now
        self.logger = logger
    }

    /// Keys with more than `refreshWithin` left: the kept ones, or new ones. When the role cannot be
    /// assumed again, keys that are still valid are handed out (with a warning) rather than nothing.
    public func credentials() async throws -> Credentials {
        if let current, !current.expires(within: refreshWithin, of: now()) { return current }
        return try await renew()
    }

    /// Assumes the role, one call at a time: a request that comes meanwhile waits for that call.
    func renew() async throws -> Credentials {
        if refreshing {
            await withCheckedContinuation { waiters.append($0) }
            if let current, !current.expires(within: 60, of: now()) { return current }
            throw lastError ?? CancellationError()
        }
        refreshing = true
        defer {
            refreshing = false
            let waiting = waiters
            waiters = []
            for waiter in waiting { waiter.resume() }
        }
        do {
            let fresh = try await source()
            current = fresh
            lastError = nil
            return fresh
        } catch {
            lastError = error
            if let current, !current.expires(within: 60, of: now()) {
                logger.warning("cannot assume the job role again; its keys are still valid and kept", metadata: ["error": "\(error)"])
                return current
            }
            throw error
        }
    }

    /// When the kept keys are next due to be replaced: a minute before they have `refreshWithin` left.
    func nextRenewal() -> Date? {
        current?.expiration.map { $0.addingTimeInterval(-refreshWithin - 60) }
    }

    /// Replaces the keys ahead of time until cancelled, so no request waits for STS; after a failure,
    /// tries again every 30 s (requests meanwhile get the kept keys while they are valid).
    public func keepFresh() async {
        while !Task.isCancelled {
            let wait = (nextRenewal() ?? now().addingTimeInterval(30)).timeIntervalSince(now())
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) } catch { return }
            }
            _ = try? await renew()
            if current?.expires(within: refreshWithin + 60, of: now()) ?? true {
                logger.warning(
                    "cannot renew the job role's keys ahead of time; trying again in 30 s", metadata: ["error": "\(lastError.map { "\($0)" } ?? "none")"])
                do { try await Task.sleep(for: .seconds(30)) } catch { return }
            }
        }
    }
}

/// A container credentials endpoint of the command's own: the wish's job role, served on loopback
/// the way ECS serves a task role (`AWS_CONTAINER_CREDENTIALS_FULL_URI` and
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`, which every AWS SDK and the CLI read), to the command alone.
///
/// It listens on 127.0.0.1 at a port the kernel picks and answers one random path, and only with
/// the random token in `Authorization`: no token is 401, a wrong one 403, another path 404. The
/// path and token go into the command's environment and nowhere else (not the task's own, not a
/// log). It serves while `run`'s body runs and is closed when the body returns.
public enum JobCredentialsServer {
    /// What the command is told.
    public struct Address: Sendable {
        public var url: String
        public var token: String
        public var environment: [String: String] {
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI": url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": token]
        }
    }

    /// The ECS agent's answer, key for key.
    struct Answer: Encodable {
        var RoleArn: String
        var AccessKeyId: String
        var SecretAccessKey: String
        var Token: String
        var Expiration: String
    }

    struct Refusal: Encodable {
        var code: String
        var message: String
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// Serves `keys` for `roleArn` while `body` runs with the address, then closes the endpoint.
    public static func run<T: Sendable>(
        keys: JobRoleKeys, roleArn: String, logger: Logger,
        _ body: @Sendable (Address) async throws -> T
    ) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        guard let port = server.channel.localAddress?.port else {
            try? await server.channel.close().get()
            throw ChannelError.unknownLocalAddress
        }
        let path = "/" + RandomToken.hex(16)
        let address = Address(url: "http://127.0.0.1:\(port)\(path)", token: RandomToken.hex(32))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withThrowingDiscardingTaskGroup { connections in
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask {
                                await serve(connection, path: path, token: address.token, keys: keys, roleArn: roleArn, logger: logger)
                            }
                        }
                    }
                }
            }
            group.addTask { await keys.keepFresh() }
            do {
                let result = try await body(address)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    static func serve(_ connection: Connection, path: String, token: String, keys: JobRoleKeys, roleArn: String, logger: Logger) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var bodyBytes = 0
                for try await part in inbound {
                    switch part {
                    case .head(let value):
                        head = value
                        bodyBytes = 0
                    case .body(let buffer):
                        bodyBytes += buffer.readableBytes
                        if bodyBytes > 16 << 10 { return }
                    case .end:
                        guard let request = head else { return }
                        let (status, body) = await answer(request, path: path, token: token, keys: keys, roleArn: roleArn, logger: logger)
                        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.count))])
                        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
                        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                        if request.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                        try await outbound.write(.end(nil))
                        if !request.isKeepAlive { return }
                        head = nil
                    }
                }
            }
        } catch {
            logger.debug("job credentials connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// The answer to one request: the token first (so a caller without it learns nothing of the path).
    static func answer(
        _ request: HTTPRequestHead, path: String, token: String, keys: JobRoleKeys, roleArn: String,
        logger: Logger
    ) async -> (HTTPResponseStatus, [UInt8]) {
        func refuse(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> (HTTPResponseStatus, [UInt8]) {
            (status, Array((try? JSONEncoder().encode(Refusal(code: code, message: message))) ?? Data()))
        }
        guard let given = request.headers.first(name: "Authorization") else {
            return refuse(.unauthorized, "Unauthorized", "the Authorization header must be AWS_CONTAINER_AUTHORIZATION_TOKEN")
        }
        guard Fingerprint.constantTimeEqual(given, token) else {
            return refuse(.forbidden, "Forbidden", "the Authorization header does not match AWS_CONTAINER_AUTHORIZATION_TOKEN")
        }
        guard request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) == path else {
            return refuse(.notFound, "NotFound", "no credentials at this path: use AWS_CONTAINER_CREDENTIALS_FULL_URI")
        }
        guard request.method == .GET || request.method == .HEAD else {
            return refuse(.methodNotAllowed, "MethodNotAllowed", "GET only")
        }
        do {
            let credentials = try await keys.credentials()
            let expiration = credentials.expiration ?? Date().addingTimeInterval(900)
            let answer = Answer(
                RoleArn: roleArn, AccessKeyId: credentials.accessKeyId, SecretAccessKey: credentials.secretAccessKey,
                Token: credentials.sessionToken ?? "", Expiration: expiration.formatted(Date.ISO8601FormatStyle()))
            return (.ok, Array(try JSONEncoder().encode(answer)))
        } catch {
            logger.warning("the job role's keys are unavailable", metadata: ["role": "\(roleArn)", "error": "\(error)"])
            return refuse(.internalServerError, "CredentialsUnavailable", "cannot assume \(roleArn): \(error)")
        }
    }
}
