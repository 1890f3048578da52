#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// S3 over REST/XML: path-style on custom endpoints (moto, LocalStack), virtual-hosted on AWS.
public struct S3Client: Sendable {
    public let client: AWSClient

    public init(client: AWSClient) {
        self.client = client
    }

    /// The path and host prefix for `bucket`/`key`. Keys are encoded byte for byte and never normalized.
    func location(bucket: String, key: String?) -> (path: String, hostPrefix: String?) {
        let encodedKey = key.map { URIEncoding.encode($0, keepSlash: true) } ?? ""
        let endpoint = client.configuration.endpoint(for: .s3)
        if endpoint.isAWS, !bucket.contains(".") {
            return ("/" + encodedKey, bucket + ".")
        }
        return ("/" + URIEncoding.encode(bucket) + (key == nil ? "" : "/" + encodedKey), nil)
    }

    func request(
        _ operation: String, _ method: String, bucket: String, key: String? = nil,
        query: [SignableRequest.QueryItem] = [], headers: [SignableRequest.Header] = [], body: [UInt8] = []
    ) -> AWSRequest {
        let (path, hostPrefix) = location(bucket: bucket, key: key)
        return AWSRequest(
            service: .s3, operation: operation, method: method, path: path, query: query,
            headers: headers, body: body, hostPrefix: hostPrefix)
    }

    public func createBucket(_ bucket: String) async throws(AWSClientError) {
        var body: [UInt8] = []
        if client.configuration.region != "us-east-1" {
            body = Array(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(client.configuration.region)</LocationConstraint></CreateBucketConfiguration>"
                    .utf8)
        }
        _ = try await client.send(request("CreateBucket", "PUT", bucket: bucket, body: body))
    }

    public func deleteBucket(_ bucket: String) async throws(AWSClientError) {
        _ = try await client.send(request("DeleteBucket", "DELETE", bucket: bucket))
    }

    /// Writes an object; with a precondition, a lost race fails with `PreconditionFailed` (412)
    /// or `ConditionalRequestConflict` (409). Returns the new ETag.
    @discardableResult
    public func putObject(
        bucket: String, key: String, body: [UInt8], contentType: String = "application/octet-stream",
        metadata: [String: String] = [:], precondition: S3.Precondition? = nil, kmsKeyID: String? = nil
    ) async throws(AWSClientError) -> String? {
        var headers: [SignableRequest.Header] = [.init("Content-Type", contentType)]
        if let kmsKeyID {
            // SSE-KMS under a key of our own: reading the object then takes kms:Decrypt on that key too.
            headers.append(.init("x-amz-server-side-encryption", "aws:kms"))
            headers.append(.init("x-amz-server-side-encryption-aws-kms-key-id", kmsKeyID))
        }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard value.allSatisfy({ $0.isASCII && !$0.isNewline }), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw .service(
                    AWSServiceError(
                        service: .s3, operation: "PutObject", code: "InvalidArgument",
                        message: "metadata \(name) must be ASCII without line breaks", statusCode: 400))
            }
            headers.append(.init("x-amz-meta-\(name.lowercased())", value))
        }
        switch precondition {
        case .noneExists: headers.append(.init("If-None-Match", "*"))
        case .matches(let etag): headers.append(.init("If-Match", etag))
        case nil: break
        }
        // A conditional write names itself, so that a 412 after a retry can be told apart: the
        // first try may have written (its answer lost to a timeout) and the retry then fails on it.
        let writeToken = precondition == nil ? nil : UUID().uuidString
        if let writeToken { headers.append(.init("x-amz-meta-\(Self.writeTokenName)", writeToken)) }
        do {
            let response = try await client.send(request("PutObject", "PUT", bucket: bucket, key: key, headers: headers, body: body))
            return response.header("ETag")
        } catch let error where error.serviceError?.followsUncertainAttempt == true && Self.isLostRace(error) {
            guard let writeToken, let current = try? await headObject(bucket: bucket, key: key),
                current.metadata[Self.writeTokenName] == writeToken
            else { throw error }
            return current.etag
        }
    }

    /// The metadata key that carries a conditional write's own token.
    static let writeTokenName = "wishes-write-token"

    package static func isLostRace(_ error: AWSClientError) -> Bool {
        error.isCode(.preconditionFailed, .conditionalRequestConflict)
    }

    /// Writes an object only if none has the key; false when another writer got there first.
    public func putObjectIfAbsent(bucket: String, key: String, body: [UInt8], contentType: String = "application/octet-stream") async throws(AWSClientError)
        -> Bool
    {
        do {
            try await putObject(bucket: bucket, key: key, body: body, contentType: contentType, precondition: .noneExists)
            return true
        } catch  where Self.isLostRace(error) {
            return false
        }
    }

    /// Reads an object, or the bytes `range` of it (`lowerBound...upperBound`, both inclusive).
    public func getObject(bucket: String, key: String, range: ClosedRange<Int>? = nil) async throws(AWSClientError) -> S3.Object {
        var headers: [SignableRequest.Header] = []
        if let range { headers.append(.init("Range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        let response = try await client.send(request("GetObject", "GET", bucket: bucket, key: key, headers: headers))
        return Self.object(from: response, body: response.body)
    }

    /// Reads the last `suffixLength` bytes of an object (`Range: bytes=-N`), all of it when it is shorter.
    public func getObject(bucket: String, key: String, suffixLength: Int) async throws(AWSClientError) -> S3.Object {
        let headers: [SignableRequest.Header] = [.init("Range", "bytes=-\(max(1, suffixLength))")]
        let response = try await client.send(request("GetObject", "GET", bucket: bucket, key: key, headers: headers))
        return Self.object(from: response, body: response.body)
    }

    /// Reads an object, or nil when there is none.
    public func getObjectIfExists(bucket: String, key: String) async throws(AWSClientError) -> S3.Object? {
        do {
            return try await getObject(bucket: bucket, key: key)
        } catch let error where error.isCode(.noSuchKey, .notFound) {
            return nil
        }
    }

    public func headObject(bucket: String, key: String) async throws(AWSClientError) -> S3.Object {
        let response = try await client.send(request("HeadObject", "HEAD", bucket: bucket, key: key))
        return Self.object(from: response, body: [])
    }

    public func deleteObject(bucket: String, key: String) async throws(AWSClientError) {
        _ = try await client.send(request("DeleteObject", "DELETE", bucket: bucket, key: key))
    }

    /// One page of keys, in key order. Keys come URL-encoded (`encoding-type=url`) so any byte survives XML.
    public func listObjectsV2(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, maxKeys: Int? = nil,
        continuationToken: String? = nil, startAfter: String? = nil
    ) async throws(AWSClientError) -> S3.ListPage {
        var query: [SignableRequest.QueryItem] = [.init("list-type", "2"), .init("encoding-type", "url")]
        if let prefix { query.append(.init("prefix", prefix)) }
        if let delimiter { query.append(.init("delimiter", delimiter)) }
        if let maxKeys { query.append(.init("max-keys", String(maxKeys))) }
        if let continuationToken { query.append(.init("continuation-token", continuationToken)) }
        if let startAfter { query.append(.init("start-after", startAfter)) }
        let response = try await client.send(request("ListObjectsV2", "GET", bucket: bucket, query: query))
        do {
            return try Self.listPage(from: XMLTree.parse(response.body))
        } catch {
            throw .invalidResponse(service: .s3, operation: "ListObjectsV2", reason: "\(error)")
        }
    }

    /// Every key under `prefix`, following continuation tokens, up to `limit` keys.
    public func listAllObjects(bucket: String, prefix: String? = nil, limit: Int = 100_000) async throws(AWSClientError) -> [S3.ObjectSummary] {
        var all: [S3.ObjectSummary] = []
        var token: String?
        repeat {
            let page = try await listObjectsV2(bucket: bucket, prefix: prefix, continuationToken: token)
            all.append(contentsOf: page.objects)
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil && all.count < limit
        return Array(all.prefix(limit))
    }

    static func listPage(from tree: XMLTree) throws -> S3.ListPage {
        let encoded = tree.child("EncodingType")?.text == "url"
        func decoded(_ text: String) throws -> String {
            guard encoded else { return text }
            // `encoding-type=url` uses form encoding: `+` is a space there.
            guard let value = URIEncoding.decode(text.replacing("+", with: "%20")) else {
                throw AWSClientError.invalidResponse(service: .s3, operation: "ListObjectsV2", reason: "undecodable key \(text)")
            }
            return value
        }
        let objects = try tree.children("Contents").map { item in
            S3.ObjectSummary(
                key: try decoded(item.child("Key")?.text ?? ""),
                size: Int(item.child("Size")?.text ?? "") ?? 0,
                etag: item.child("ETag")?.text,
                lastModified: item.child("LastModified").flatMap { try? Date($0.text, strategy: .iso8601) }
                    ?? item.child("LastModified").flatMap { Self.isoWithFraction($0.text) }
            )
        }
        let prefixes = try tree.children("CommonPrefixes").compactMap { $0.child("Prefix")?.text }.map(decoded)
        return S3.ListPage(
            objects: objects,
            commonPrefixes: prefixes,
            nextContinuationToken: tree.child("NextContinuationToken")?.text,
            isTruncated: tree.child("IsTruncated")?.text == "true"
        )
    }

    static func isoWithFraction(_ text: String) -> Date? {
        try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func object(from response: AWSResponse, body: [UInt8]) -> S3.Object {
        var metadata: [String: String] = [:]
        for (name, value) in response.headers where name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(name.lowercased().dropFirst("x-amz-meta-".count))] = value
        }
        return S3.Object(
            body: body,
            etag: response.header("ETag"),
            contentType: response.header("Content-Type"),
            contentLength: response.header("Content-Length").flatMap(Int.init) ?? body.count,
            contentRange: response.header("Content-Range"),
            metadata: metadata,
            lastModified: response.header("Last-Modified").flatMap(HTTPDate.parse)
        )
    }
}
