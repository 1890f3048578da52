import Crypto
import Foundation

/// AWS Signature Version 4, for the `Authorization` header and for presigned URLs.
///
/// Services differ in two rules: S3 signs the path exactly as sent, every other service normalizes
/// it (`.`/`..`/`//`) and encodes it a second time. `init(service:region:)` picks the right ones.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Headers that proxies and clients may change in transit, so they are never signed.
    static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    public var service: String
    public var region: String
    /// Encode the (already encoded) path once more; true for every service but S3.
    public var doubleURIEncode: Bool
    /// Remove dot segments and repeated slashes; true for every service but S3.
    public var normalizePath: Bool

    public init(service: String, region: String) {
        self.service = service
        self.region = region
        self.doubleURIEncode = service != "s3"
        self.normalizePath = service != "s3"
    }

    /// The intermediate results, exposed so tests can compare every step with the official suite.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signedHeaders: String
        public var signature: String
        public var authorization: String
    }

    /// Adds `X-Amz-Date`, the session token and `Authorization` to `request`.
    ///
    /// - Parameters:
    ///   - payloadHash: hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` where the service allows it.
    ///   - signSessionToken: false adds the token after signing (the suite's `post-sts-header-after`).
    @discardableResult
    public func sign(
        _ request: inout SignableRequest,
        payloadHash: String,
        credentials: Credentials,
        date: Date,
        signSessionToken: Bool = true
    ) -> Signature {
        let amzDate = AMZDate(date)
        request.headers.removeAll { ["authorization", "x-amz-date"].contains($0.name.lowercased()) }
        request.headers.append(.init("X-Amz-Date", amzDate.timestamp))
        if let token = credentials.sessionToken {
            request.headers.removeAll { $0.name.lowercased() == "x-amz-security-token" }
            if signSessionToken { request.headers.append(.init("X-Amz-Security-Token", token)) }
        }
        let result = signature(for: request, payloadHash: payloadHash, credentials: credentials, date: amzDate)
        request.headers.append(.init("Authorization", result.authorization))
        if let token = credentials.sessionToken, !signSessionToken {
            request.headers.append(.init("X-Amz-Security-Token", token))
        }
        return result
    }

    /// A presigned request: the signature travels in the query, valid for `expires` seconds (≤ 7 days).
    public func presign(
        _ request: SignableRequest,
        credentials: Credentials,
        date: Date,
        expires: Int,
        payloadHash: String = SigV4Signer.unsignedPayload
    ) -> SignableRequest {
        let amzDate = AMZDate(date)
        var request = request
        let signedHeaders = Self.canonicalHeaders(of: request).names
        request.query.append(contentsOf: [
            .init("X-Amz-Algorithm", Self.algorithm),
            .init("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope(amzDate))"),
            .init("X-Amz-Date", amzDate.timestamp),
            .init("X-Amz-Expires", String(min(max(expires, 1), 604_800))),
            .init("X-Amz-SignedHeaders", signedHeaders),
        ])
        if let token = credentials.sessionToken {
            request.query.append(.init("X-Amz-Security-Token", token))
        }
        let result = signature(for: request, payloadHash: payloadHash, credentials: credentials, date: amzDate)
        request.query.append(.init("X-Amz-Signature", result.signature))
        return request
    }

    func scope(_ date: AMZDate) -> String {
        "\(date.day)/\(region)/\(service)/aws4_request"
    }

    /// Computes every step of the signature of `request` as it stands.
    public func signature(for request: SignableRequest, payloadHash: String, credentials: Credentials, date: Date) -> Signature {
        signature(for: request, payloadHash: payloadHash, credentials: credentials, date: AMZDate(date))
    }

    func signature(for request: SignableRequest, payloadHash: String, credentials: Credentials, date: AMZDate) -> Signature {
        let headers = Self.canonicalHeaders(of: request)
        let canonicalRequest = [
            request.method.uppercased(),
            canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            headers.block,
            headers.names,
            payloadHash,
        ].joined(separator: "\n")
        let credentialScope = scope(date)
        let stringToSign = [
            Self.algorithm,
            date.timestamp,
            credentialScope,
            SHA256.hash(data: Array(canonicalRequest.utf8)).hexString,
        ].joined(separator: "\n")
        let key = signingKey(secret: credentials.secretAccessKey, day: date.day)
        let signature = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key).hexString
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(credentialScope), "
            + "SignedHeaders=\(headers.names), Signature=\(signature)"
        return Signature(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signedHeaders: headers.names,
            signature: signature,
            authorization: authorization
        )
    }

    func signingKey(secret: String, day: Substring) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: some StringProtocol) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
        }
        let kDate = hmac(SymmetricKey(data: Array("AWS4\(secret)".utf8)), day)
        return hmac(hmac(hmac(kDate, region), service), "aws4_request")
    }

    func canonicalURI(_ path: String) -> String {
        var path = path.isEmpty ? "/" : path
        if normalizePath { path = Self.removeDotSegments(path) }
        return doubleURIEncode ? URIEncoding.encode(path, keepSlash: true) : path
    }

    /// RFC 3986 §5.2.4, plus the collapse of repeated slashes that AWS services expect.
    static func removeDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                _ = output.popLast()
            } else {
                output.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return leading + output.joined(separator: "/") + trailing
    }

    static func canonicalQuery(_ items: [SignableRequest.QueryItem]) -> String {
        items
            .map { (URIEncoding.encode($0.name), URIEncoding.encode($0.value)) }
            .sorted { $0.0 == $1.0 ? Array($0.1.utf8).lexicographicallyPrecedes($1.1.utf8) : Array($0.0.utf8).lexicographicallyPrecedes($1.0.utf8) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The canonical header block and the `SignedHeaders` list.
    static func canonicalHeaders(of request: SignableRequest) -> (block: String, names: String) {
        var values: [String: [String]] = [:]
        for header in request.headers {
            let name = header.name.lowercased()
            guard !unsignedHeaders.contains(name) else { continue }
            values[name, default: []].append(trimAll(header.value))
        }
        if values["host"] == nil { values["host"] = [request.host] }
        let names = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
        var block = ""
        for name in names {
            block += name + ":" + values[name, default: []].joined(separator: ",") + "\n"
        }
        return (block, names.joined(separator: ";"))
    }

    /// Trims the value and folds every run of white space (line folds included) into one space.
    static func trimAll(_ value: String) -> String {
        value.utf8
            .split(whereSeparator: { $0 == 0x20 || (0x09...0x0D).contains($0) })
            .map { String(decoding: $0, as: UTF8.self) }
            .joined(separator: " ")
    }
}
