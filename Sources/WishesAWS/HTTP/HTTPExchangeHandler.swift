import NIOCore
import NIOHTTP1
import NIOTLS

/// One request and where its response goes, as written into a connection's pipeline.
struct HTTPExchange {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var host: String
    var maxBodyBytes: Int
    var promise: EventLoopPromise<HTTPClient.Response>
}

/// Runs one exchange at a time on a connection: writes the request, gathers the response up to
/// its limit, and completes the exchange's promise exactly once (with the response, or with why the
/// connection failed or closed first). The connection's owner enforces the deadline by closing it.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var exchange: HTTPExchange?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    /// Set when the owner closes the connection on purpose, so the exchange fails with that reason.
    var closeReason: HTTPClientError?
    /// Completed when the TLS handshake ends, so a refused certificate fails the connect with
    /// TLS's own reason rather than a later write with "connection closed". Nil for plain http.
    private var handshake: EventLoopPromise<Void>?

    init(handshake: EventLoopPromise<Void>? = nil) {
        self.handshake = handshake
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshake?.succeed(())
            handshake = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let next = unwrapOutboundIn(data)
        promise?.succeed(())
        guard exchange == nil, context.channel.isActive else {
            next.promise.fail(HTTPClientError.connectionClosed(host: next.host))
            return
        }
        exchange = next
        head = nil
        body = nil
        context.write(wrapOutboundOut(.head(next.head)), promise: nil)
        if let body = next.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else {
            // Bytes no request asked for: the connection cannot be trusted with the next one.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let received):
            // 1xx answers precede the real one (we never send Expect, but a server may still).
            if received.status.code >= 200 || received.status.code == 101 { head = received }
        case .body(var part):
            let total = (body?.readableBytes ?? 0) + part.readableBytes
            guard total <= exchange.maxBodyBytes else {
                finish(.failure(.bodyTooLarge(host: exchange.host, limit: exchange.maxBodyBytes)))
                context.close(promise: nil)
                return
            }
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let head else { return }
            let response = HTTPClient.Response(
                status: Int(head.status.code), headers: head.headers, body: body ?? ByteBuffer(),
                keepAlive: head.isKeepAlive)
            finish(.success(response))
            if !response.keepAlive { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake?.fail(closeReason ?? HTTPClientError.connectionClosed(host: "the server"))
        handshake = nil
        if let exchange { finish(.failure(closeReason ?? .connectionClosed(host: exchange.host))) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        handshake?.fail(error)
        handshake = nil
        if let exchange { finish(.failure(closeReason ?? .transport(host: exchange.host, reason: "\(error)"))) }
        context.close(promise: nil)
    }

    private func finish(_ result: Result<HTTPClient.Response, HTTPClientError>) {
        guard let exchange else { return }
        self.exchange = nil
        head = nil
        body = nil
        exchange.promise.completeWith(result.mapError { $0 as any Error })
    }
}
