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
    package var httpClient: HTTPClient
    package var connectTimeout: Duration = .seconds(5)
    package var requestTimeout: Duration = .seconds(10)

    package init(
        policy: CallbackPolicy, resolver: any HostResolver = SystemResolver(),
        httpClient: HTTPClient
    ) {
        self.policy = policy
        self.resolver = resolver
        self.httpClient = httpClient
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
        var fields = HTTPHeaders()
        fields.add(name: "Content-Type", value: "application/json")
        fields.add(name: "User-Agent", value: "wishes-callback/2")
        for (name, value) in headers { fields.add(name: name, value: value) }
        let response: HTTPClient.Response
        do {
            var request = try HTTPClient.Request(method: .POST, url: url.normalized, headers: fields, body: body)
            // The checked address, not a second lookup that could answer differently.
            request.address = try SocketAddress(ipAddress: address.description, port: url.effectivePort)
            response = try await httpClient.execute(request, timeout: requestTimeout + connectTimeout, maxBodyBytes: 4096)
        } catch {
            throw .unreachable("\(url.host) (\(address)): \(error)")
        }
        let status = response.status
        if (200..<300).contains(status) { return status }
        if (300..<400).contains(status) {
            throw .answered(
                status: status,
                "redirected to \(response.headers.first(name: "location") ?? "nowhere"); callbacks follow no redirect")
        }
        throw .answered(status: status, String(String(buffer: response.body).prefix(200)))
    }
}
