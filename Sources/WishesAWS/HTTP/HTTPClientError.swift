/// Why an HTTP exchange did not produce a response.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not `http(s)://host[:port][/path][?query]`.
    case invalidURL(String)
    /// No connection within the connect timeout.
    case connectTimeout(host: String, seconds: Double)
    /// The connection was refused, the name did not resolve, or the TLS set-up failed.
    case connectFailed(host: String, reason: String)
    /// The whole exchange (connect, TLS, request, response) ran past its deadline.
    case deadlineExceeded(host: String, seconds: Double)
    /// The peer closed the connection before the response ended.
    case connectionClosed(host: String)
    /// The response body was larger than the caller accepts; the connection was dropped.
    case bodyTooLarge(host: String, limit: Int)
    /// The connection failed mid-exchange (reset, TLS alert, malformed HTTP).
    case transport(host: String, reason: String)
    /// The trust roots named for TLS cannot be loaded.
    case trustRoots(String)
    /// The client was shut down; make a new one.
    case shutDown
    /// The calling task was cancelled.
    case cancelled

    public var isTimeout: Bool {
        switch self {
        case .connectTimeout, .deadlineExceeded: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let url): "'\(url)' is not an http or https URL"
        case .connectTimeout(let host, let seconds): "no connection to \(host) within \(seconds) s"
        case .connectFailed(let host, let reason): "cannot connect to \(host): \(reason)"
        case .deadlineExceeded(let host, let seconds): "\(host) did not answer within \(seconds) s"
        case .connectionClosed(let host): "\(host) closed the connection before its response ended"
        case .bodyTooLarge(let host, let limit): "\(host) answered with a body larger than \(limit) bytes"
        case .transport(let host, let reason): "the exchange with \(host) failed: \(reason)"
        case .trustRoots(let reason): "cannot load the TLS trust roots: \(reason)"
        case .shutDown: "the HTTP client is shut down"
        case .cancelled: "the request was cancelled"
        }
    }
}
