import NIOCore

/// One call to a service, before signing.
public struct AWSRequest: Sendable {
    public var service: AWSService
    /// The API's operation name, for errors and logs.
    public var operation: String
    public var method: String
    /// The wire path (percent-encoded), relative to the endpoint.
    public var path: String
    public var query: [SignableRequest.QueryItem]
    public var headers: [SignableRequest.Header]
    public var body: [UInt8]
    /// A longer limit than the client's default, e.g. for a long poll.
    public var timeout: Duration?
    /// Host override, for S3's virtual-hosted buckets.
    public var hostPrefix: String?

    public init(
        service: AWSService, operation: String, method: String, path: String = "/",
        query: [SignableRequest.QueryItem] = [], headers: [SignableRequest.Header] = [],
        body: [UInt8] = [], timeout: Duration? = nil, hostPrefix: String? = nil
    ) {
        self.service = service
        self.operation = operation
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.hostPrefix = hostPrefix
    }
}

/// A service's answer: status, headers and the whole body.
public struct AWSResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }
}
