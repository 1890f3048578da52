/// The parts of an HTTP request that SigV4 covers.
///
/// `path` is the path as it goes on the wire (already percent-encoded); `query` holds decoded
/// names and values, which the signer and the URL builder encode the same way.
public struct SignableRequest: Sendable, Equatable {
    public var method: String
    /// `host` or `host:port` when the port is not the scheme's default.
    public var host: String
    public var path: String
    public var query: [QueryItem]
    /// Header names and values in the order they were added; a name may repeat.
    public var headers: [Header]

    public struct QueryItem: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(method: String, host: String, path: String, query: [QueryItem] = [], headers: [Header] = []) {
        self.method = method
        self.host = host
        self.path = path.isEmpty ? "/" : path
        self.query = query
        self.headers = headers
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        let lower = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
        headers.append(Header(name, value))
    }

    /// The encoded query string in the order the items were given.
    public var queryString: String {
        URIEncoding.query(query.map { ($0.name, $0.value) })
    }
}
