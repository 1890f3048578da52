import Dispatch
import NIOConcurrencyHelpers
import WishesAWS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a host name into addresses. A seam, so the checks on what a name resolves to can be
/// tested without a DNS server that lies.
package protocol HostResolver: Sendable {
    func addresses(of host: String) async throws(CallbackDeliveryError) -> [NetworkAddress]
}

/// The C resolver (`getaddrinfo`), as every HTTP client on the machine would use it, bounded in time.
package struct SystemResolver: HostResolver {
    package var timeout: Duration

    package init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    package func addresses(of host: String) async throws(CallbackDeliveryError) -> [NetworkAddress] {
        // getaddrinfo blocks and cannot be cancelled: it runs on a dispatch thread, and a timeout
        // answers without it (its late result is dropped).
        let once = NIOLockedValueBox<
            CheckedContinuation<Result<[NetworkAddress], CallbackDeliveryError>, Never>?
        >(nil)
        let timeout = timeout
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<[NetworkAddress], CallbackDeliveryError>, Never>) in
            once.withLockedValue { $0 = continuation }
            let finish: @Sendable (Result<[NetworkAddress], CallbackDeliveryError>) -> Void = { result in
                once.withLockedValue { stored in
                    stored?.resume(returning: result)
                    stored = nil
                }
            }
            DispatchQueue.global().async { finish(Self.lookUp(host)) }
            DispatchQueue.global().asyncAfter(
                deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000))
            ) {
                finish(.failure(.unreachable("\(host) did not resolve within \(timeout)")))
            }
        }
        return try result.get()
    }

    static func lookUp(_ host: String) -> Result<[NetworkAddress], CallbackDeliveryError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            return .failure(
                .unreachable("\(host) does not resolve: \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var found: [NetworkAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            // The address sits after family and port in sockaddr_in (byte 4) and after family, port and
            // flow info in sockaddr_in6 (byte 8), on Linux as on the BSDs; read as bytes, because the
            // structs' members belong to whichever C module first included <netinet/in.h>.
            if entry.ai_family == AF_INET, let raw = entry.ai_addr {
                let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(raw) + 4, count: 4)
                found.append(.v4(bytes.reduce(0) { $0 << 8 | UInt32($1) }))
            } else if entry.ai_family == AF_INET6, let raw = entry.ai_addr {
                found.append(.v6(Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(raw) + 8, count: 16))))
            }
            cursor = entry.ai_next
        }
        var unique: [NetworkAddress] = []
        for address in found where !unique.contains(address) { unique.append(address) }
        return unique.isEmpty
            ? .failure(.unreachable("\(host) resolves to no address")) : .success(unique)
    }
}

/// The in-memory twin: names and the addresses they "resolve" to.
package struct StaticResolver: HostResolver {
    package var table: [String: [NetworkAddress]]

    package init(_ table: [String: [NetworkAddress]]) {
        self.table = table
    }

    package func addresses(of host: String) async throws(CallbackDeliveryError) -> [NetworkAddress] {
        guard let found = table[host], !found.isEmpty else {
            throw .unreachable("\(host) does not resolve")
        }
        return found
    }
}
