import Foundation
import Wishes
import WishesAWS

/// SigV4 as AWS checks it on a JSON-protocol service (ECS): the key must be one the local cloud
/// issued and not expired, the session token its own, the scope this region and service, the date
/// within five minutes, and the signature the one its secret gives for what arrived.
struct SignatureCheck: Sendable {
    let ring: KeyRing
    let region: String
    let service: String

    struct Refusal: Error {
        var code: String
        var message: String
    }

    /// `headers` as received (names in any case); `host` is the Host header.
    func verify(method: String, path: String, headers: [(String, String)], body: [UInt8], now: Date = Date()) -> Refusal? {
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        guard let authorization = header("authorization"), authorization.hasPrefix(SigV4Signer.algorithm + " ") else {
            return Refusal(code: "MissingAuthenticationTokenException", message: "Missing Authentication Token")
        }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst(SigV4Signer.algorithm.count + 1).split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let credential = fields["Credential"], let signedList = fields["SignedHeaders"], let signature = fields["Signature"] else {
            return Refusal(code: "IncompleteSignatureException", message: "Authorization header requires Credential, SignedHeaders and Signature")
        }
        let scope = credential.split(separator: "/").map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else {
            return Refusal(code: "IncompleteSignatureException", message: "Credential must be KEY/date/region/service/aws4_request: \(credential)")
        }
        guard scope[2] == region, scope[3] == service else {
            return Refusal(
                code: "InvalidSignatureException",
                message: "Credential should be scoped to a valid region and service (\(region)/\(service)), not \(scope[2])/\(scope[3])")
        }
        guard let keys = ring.lookup(scope[0]) else {
            return Refusal(code: "UnrecognizedClientException", message: "The security token included in the request is invalid.")
        }
        if let expiration = keys.expiration, expiration <= now {
            return Refusal(code: "ExpiredTokenException", message: "The security token included in the request is expired")
        }
        guard header("x-amz-security-token") == keys.sessionToken else {
            return Refusal(code: "UnrecognizedClientException", message: "The security token included in the request is invalid.")
        }
        guard let stamp = header("x-amz-date"), let date = Self.date(stamp), scope[1] == String(stamp.prefix(8)) else {
            return Refusal(code: "IncompleteSignatureException", message: "X-Amz-Date is missing or does not match the credential scope's date")
        }
        guard abs(date.timeIntervalSince(now)) <= 300 else {
            return Refusal(code: "InvalidSignatureException", message: "Signature expired: \(stamp) is more than 5 minutes from the server's time")
        }
        let signed = signedList.split(separator: ";").map(String.init)
        guard signed.contains("host") else { return Refusal(code: "InvalidSignatureException", message: "the host header must be signed") }
        var request = SignableRequest(method: method, host: header("host") ?? "", path: path)
        for name in signed where !["x-amz-date", "x-amz-security-token", "authorization"].contains(name) {
            guard let value = header(name) else {
                return Refusal(code: "InvalidSignatureException", message: "the signed header \(name) is missing")
            }
            if name != "host" { request.headers.append(.init(name, value)) }
        }
        let result = SigV4Signer(service: service, region: region).sign(&request, payloadHash: SigV4Signer.payloadHash(of: body), credentials: keys, date: date)
        guard result.signature == signature, result.signedHeaders == signedList else {
            return Refusal(
                code: "InvalidSignatureException",
                message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
        }
        return nil
    }

    /// `20261129T235656Z` as a date.
    static func date(_ stamp: String) -> Date? {
        let digits = Array(stamp.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: digits[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }
}
