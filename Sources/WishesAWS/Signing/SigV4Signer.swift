import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// AWS Signature Version 4, for the `Authorization` header and for presigned URLs.
///
/// Services differ in two rules: S3 signs the path exactly as sent, every other service normalizes
/// it (`.`/`..`/`//`) and encodes it a second time. `init(service:region:)` picks the right ones.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Headers that proxies and clients may change in transit, so they are never signed.
    /// Found by length first: every request asks this of every header.
    static func isUnsigned(_ lowercaseName: String) -> Bool {
        let candidates: [String]
        switch lowercaseName.utf8.count {
        case 2: candidates = ["te"]
        case 6: candidates = ["expect"]
        case 7: candidates = ["trailer", "upgrade"]
        case 10: candidates = ["connection", "keep-alive", "user-agent"]
        case 13: candidates = ["authorization"]
        case 15: candidates = ["x-amzn-trace-id"]
        case 17: candidates = ["transfer-encoding"]
        case 18: candidates = ["proxy-authenticate"]
        case 19: candidates = ["proxy-authorization"]
        default: return false
        }
        return candidates.contains { ASCII.same($0, lowercaseName) }
    }

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

    /// The intermediate results, exposed so tests can compare every step with the official suite;
    /// kept as bytes and read as text only when asked, since signing happens on every request.
    public struct Signature: Sendable {
        let canonicalBytes: [UInt8]
        let signedHeadersRange: Range<Int>
        let stringToSignBytes: [UInt8]
        /// The `Authorization` header's value, which ends with the signature.
        public let authorization: String

        public var canonicalRequest: String { String(decoding: canonicalBytes, as: UTF8.self) }
        public var stringToSign: String { String(decoding: stringToSignBytes, as: UTF8.self) }
        public var signedHeaders: String { String(decoding: canonicalBytes[signedHeadersRange], as: UTF8.self) }
        /// 64 hex digits.
        public var signature: String { String(authorization.utf8.suffix(64)) ?? "" }
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
        request.headers.reserveCapacity(request.headers.count + 3)
        request.headers.removeAll { ASCII.equalsIgnoringCase($0.name, "authorization") || ASCII.equalsIgnoringCase($0.name, "x-amz-date") }
        request.headers.append(.init("X-Amz-Date", amzDate.timestamp))
        if let token = credentials.sessionToken {
            request.headers.removeAll { ASCII.equalsIgnoringCase($0.name, "x-amz-security-token") }
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
        var names: [String] = []
        for (name, _) in Self.canonicalHeaders(of: request) where names.last != name { names.append(name) }
        let signedHeaders = names.joined(separator: ";")
        request.query.append(contentsOf: [
            .init("X-Amz-Algorithm", Self.algorithm),
            .init("X-Amz-Credential", "\(credentials.accessKeyId)/\(amzDate.day)/\(region)/\(service)/aws4_request"),
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

    /// The hex SHA-256 of a body, as `x-amz-content-sha256` and the canonical request carry it.
    public static func payloadHash(of body: some DataProtocol) -> String {
        if let hex = body.withContiguousStorageIfAvailable({ sha256Hex(UnsafeRawBufferPointer($0)) }) { return hex }
        return SHA256.hash(data: body).withUnsafeBytes(Hex.string)
    }

    /// The same for the bytes `AWSClient` sends, without going through `DataProtocol`'s witnesses.
    public static func payloadHash(of body: [UInt8]) -> String {
        body.withUnsafeBytes(sha256Hex)
    }

    /// Hashes contiguous bytes directly: `hash(data:)` walks `DataProtocol` regions generically, which
    /// costs more than the hashing for the short texts SigV4 hashes.
    static func sha256Hex(_ bytes: UnsafeRawBufferPointer) -> String {
        sha256(bytes).withUnsafeBytes(Hex.string)
    }

    static func sha256(_ bytes: UnsafeRawBufferPointer) -> SHA256.Digest {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize()
    }

    /// Computes every step of the signature of `request` as it stands.
    public func signature(for request: SignableRequest, payloadHash: String, credentials: Credentials, date: Date) -> Signature {
        signature(for: request, payloadHash: payloadHash, credentials: credentials, date: AMZDate(date))
    }

    func signature(for request: SignableRequest, payloadHash: String, credentials: Credentials, date: AMZDate) -> Signature {
        let canonical = CanonicalRequest(
            method: request.method,
            uri: canonicalURI(request.path),
            query: request.query.isEmpty ? "" : Self.canonicalQuery(request.query),
            headers: Self.canonicalHeaders(of: request),
            payloadHash: payloadHash
        )
        let digest = canonical.bytes.withUnsafeBytes(Self.sha256)
        var scope = 0..<0
        let toSign = ByteWriter.bytes(capacity: 64 + date.timestamp.utf8.count + region.utf8.count + service.utf8.count + 2 * SHA256.byteCount) { out in
            out.write(Self.algorithm)
            out.write(0x0A)
            out.write(date.timestamp)
            out.write(0x0A)
            let start = out.count
            out.write(date.day)
            out.write(UInt8(ascii: "/"))
            out.write(region)
            out.write(UInt8(ascii: "/"))
            out.write(service)
            out.write("/aws4_request")
            scope = out.written(from: start)
            out.write(0x0A)
            digest.withUnsafeBytes { out.writeHex($0) }
        }
        let key = SigningKeyCache.shared.key(for: .init(secret: credentials.secretAccessKey, day: date.day, region: region, service: service))
        let mac = toSign.withUnsafeBytes { key.authenticationCode($0) }
        let capacity = 64 + credentials.accessKeyId.utf8.count + scope.count + canonical.signedHeadersRange.count + 2 * SHA256.byteCount
        let authorization = ByteWriter.bytes(capacity: capacity) { out in
            out.write(Self.algorithm)
            out.write(" Credential=")
            out.write(credentials.accessKeyId)
            out.write(UInt8(ascii: "/"))
            out.write(toSign[scope])
            out.write(", SignedHeaders=")
            out.write(canonical.signedHeaders)
            out.write(", Signature=")
            mac.withUnsafeBytes { out.writeHex($0) }
        }
        return Signature(
            canonicalBytes: canonical.bytes,
            signedHeadersRange: canonical.signedHeadersRange,
            stringToSignBytes: toSign,
            authorization: String(decoding: authorization, as: UTF8.self)
        )
    }

    func canonicalURI(_ path: String) -> String {
        if path == "/" || path.isEmpty { return "/" }
        var path = path
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

    /// The headers that are signed: names lower-cased and sorted by byte, values trimmed, the values
    /// of a repeated name in the order they came (`CanonicalRequest` joins them with commas).
    static func canonicalHeaders(of request: SignableRequest) -> [(name: String, value: String)] {
        var entries: [(name: String, value: String)] = []
        entries.reserveCapacity(request.headers.count + 1)
        var hasHost = false
        for header in request.headers {
            let name = ASCII.lowercased(header.name)
            guard !isUnsigned(name) else { continue }
            hasHost = hasHost || ASCII.same(name, "host")
            entries.append((name, trimAll(header.value)))
        }
        if !hasHost { entries.append(("host", request.host)) }
        // Insertion sort: a handful of headers, and it is stable, which repeated names need.
        for index in entries.indices.dropFirst() {
            var slot = index
            let entry = entries[index]
            while slot > 0, ASCII.precedes(entry.name, entries[slot - 1].name) {
                entries[slot] = entries[slot - 1]
                slot -= 1
            }
            entries[slot] = entry
        }
        return entries
    }

    /// Trims the value and folds every run of white space (line folds included) into one space.
    static func trimAll(_ value: String) -> String {
        let clean = ASCII.withBytes(value) { bytes in
            var previousSpace = true
            for byte in bytes {
                let space = ASCII.isSpace(byte)
                if space && (previousSpace || byte != 0x20) { return false }
                previousSpace = space
            }
            return !previousSpace
        }
        if clean { return value }
        return value.utf8
            .split(whereSeparator: ASCII.isSpace)
            .map { String(decoding: $0, as: UTF8.self) }
            .joined(separator: " ")
    }
}
