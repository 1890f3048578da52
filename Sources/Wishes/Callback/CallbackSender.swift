import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import WishesAWS

/// Why a callback try did not land. `refused` is final (the rules will not change on the next
/// try); the others may pass later.
package enum CallbackDeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    case refused(String)
    case unreachable(String)
    case answered(status: Int, String)

    package var isFinal: Bool {
        if case .refused = self { return true }
        return false
    }

    package var description: String {
        switch self {
        case .refused(let text), .unreachable(let text): text
        case .answered(let status, let text): "HTTP \(status): \(text)"
        }
    }
}

/// POSTs one callback to an address that was checked, and only there.
///
/// The host is resolved once; every address it resolves to must pass the policy (a name that
/// also resolves to a private address is refused, as DNS rebinding would use it); the connection
/// goes to the first, with the host name still used for TLS (SNI and certificate) and `Host`. No
/// redirect is followed: a 3xx is a failed try, since the next location was never checked.
package struct CallbackSender: Sendable {
    package var policy: CallbackPolicy
    package var resolver: any HostResolver
    package var eventLoopGroup: any EventLoopGroup
    package var connectTimeout: Duration = .seconds(5)
    package var requestTimeout: Duration = .seconds(10)

    package init(
        policy: CallbackPolicy, resolver: any HostResolver = SystemResolver(),
        eventLoopGroup: any EventLoopGroup
    ) {
        self.policy = policy
        self.resolver = resolver
        self.eventLoopGroup = eventLoopGroup
    }

    /// The address this URL would be sent to, or why it may not be.
    package func destination(_ url: CallbackURL) async throws(CallbackDeliveryError) -> NetworkAddress {
        do { try policy.judge(url) } catch { throw .refused(error.description) }
        let addresses: [NetworkAddress]
        if let literal = url.address {
            addresses = [literal]
        } else {
            addresses = try await resolver.addresses(of: url.host)
        }
        do { try policy.check(addresses, of: url) } catch { throw .refused(error.description) }
        guard let first = addresses.first else {
            throw .unreachable("\(url.host) resolves to no address")
        }
        return first
    }

    /// Sends one try; returns the 2xx status, or throws what went wrong.
    @discardableResult
    package func send(_ text: String, body: [UInt8], headers: [(String, String)])
        async throws(CallbackDeliveryError) -> Int
    {
        let url: CallbackURL
        do { url = try CallbackURL.parse(text) } catch { throw .refused(error.description) }
        let address = try await destination(url)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .init(connectTimeout), read: .init(requestTimeout)))
        // The checked address, not a second lookup that could answer differently.
        configuration.dnsOverride = [url.host: address.description]
        configuration.httpVersion = .http1Only
        let client = HTTPClient(
            eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
        let result = await post(text, to: url, at: address, body: body, headers: headers, with: client)
        try? await client.shutdown()
        return try result.get()
    }

    func post(
        _ text: String, to url: CallbackURL, at address: NetworkAddress, body: [UInt8],
        headers: [(String, String)],
        with client: HTTPClient
    ) async -> Result<Int, CallbackDeliveryError> {
        var request = HTTPClientRequest(url: url.normalized)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "wishes-callback/2")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .init(requestTimeout + connectTimeout))
        } catch {
            return .failure(.unreachable("\(url.host) (\(address)): \(error)"))
        }
        let answer = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
        let status = Int(response.status.code)
        if (200..<300).contains(status) { return .success(status) }
        if (300..<400).contains(status) {
            return .failure(
                .answered(
                    status: status,
                    "redirected to \(response.headers.first(name: "location") ?? "nowhere"); callbacks follow no redirect"
                ))
        }
        return .failure(.answered(status: status, String(answer.prefix(200))))
    }
}
