import Crypto
import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// Every case of AWS's official SigV4 test suite (vendored in Fixtures with its LICENSE and NOTICE).
struct SigV4SuiteTests {
    static let suite = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sigv4-test-suite")
    static let credentials = Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let sessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

    /// The folders that hold a `.req`, by name.
    static let cases: [String] = {
        let enumerator = FileManager.default.enumerator(at: suite, includingPropertiesForKeys: nil)
        var names: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "req" else { continue }
            names.append(url.deletingLastPathComponent().path.replacingOccurrences(of: suite.path + "/", with: ""))
        }
        return names.sorted()
    }()

    struct Case {
        var request: SignableRequest
        var body: [UInt8]
        var expected: (creq: String, sts: String, authz: String)
    }

    static func load(_ name: String) throws -> Case {
        let folder = suite.appendingPathComponent(name)
        let base = folder.lastPathComponent
        func read(_ ext: String) throws -> String { try String(contentsOf: folder.appendingPathComponent("\(base).\(ext)"), encoding: .utf8) }
        let raw = try read("req")
        let (head, body) = raw.range(of: "\n\n").map { (String(raw[..<$0.lowerBound]), String(raw[$0.upperBound...])) } ?? (raw, "")
        var lines = head.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        let target = String(requestLine.dropFirst(method.count + 1).dropLast(" HTTP/1.1".count))
        var headers: [SignableRequest.Header] = []
        for line in lines {
            if line.first == " " || line.first == "\t", var last = headers.popLast() {
                last.value += "\n" + line  // a folded header line continues the previous value
                headers.append(last)
            } else if let colon = line.firstIndex(of: ":") {
                headers.append(.init(String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query: [SignableRequest.QueryItem] =
            parts.count > 1
            ? parts[1].split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = URIEncoding.decode(kv[0]) ?? String(kv[0])
                let value = kv.count > 1 ? URIEncoding.decode(kv[1]) ?? String(kv[1]) : ""
                return .init(name, value)
            } : []
        let host = headers.first { $0.name.lowercased() == "host" }?.value ?? ""
        return Case(
            request: SignableRequest(method: method, host: host, path: String(parts[0]), query: query, headers: headers),
            body: Array(body.utf8),
            expected: (try read("creq"), try read("sts"), try read("authz"))
        )
    }

    @Test func suiteIsVendoredWithItsLicense() throws {
        #expect(FileManager.default.fileExists(atPath: Self.suite.appendingPathComponent("LICENSE").path))
        #expect(FileManager.default.fileExists(atPath: Self.suite.appendingPathComponent("NOTICE").path))
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: cases)
    func signsLikeTheOfficialSuite(_ name: String) throws {
        var testCase = try Self.load(name)
        var credentials = Self.credentials
        var signSessionToken = true
        if name.hasSuffix("with-session-token") {
            credentials.sessionToken = Self.sessionToken
        } else if let token = testCase.request.header("X-Amz-Security-Token") {
            credentials.sessionToken = token  // post-sts-header-before: the token is part of the signature
        } else if name.hasSuffix("post-sts-header-after") {
            credentials.sessionToken = "token-added-after-signing"
            signSessionToken = false
        }
        let signer = SigV4Signer(service: "service", region: "us-east-1")
        let payloadHash = SHA256.hash(data: testCase.body).hexString
        let result = signer.sign(&testCase.request, payloadHash: payloadHash, credentials: credentials, date: Self.date, signSessionToken: signSessionToken)
        #expect(result.canonicalRequest == testCase.expected.creq, "canonical request of \(name)")
        #expect(result.stringToSign == testCase.expected.sts, "string to sign of \(name)")
        #expect(result.authorization == testCase.expected.authz, "authorization of \(name)")
        #expect(testCase.request.header("Authorization") == testCase.expected.authz)
        if !signSessionToken {
            #expect(testCase.request.header("X-Amz-Security-Token") == "token-added-after-signing")
        }
    }
}

struct SigV4UnitTests {
    @Test func s3SignsThePathAsSentWithoutNormalizing() {
        let s3 = SigV4Signer(service: "s3", region: "us-east-1")
        #expect(s3.canonicalURI("/bucket/a//b/../c%20d") == "/bucket/a//b/../c%20d")
        let sqs = SigV4Signer(service: "sqs", region: "us-east-1")
        #expect(sqs.canonicalURI("/a//b/../c%20d") == "/a/c%2520d")
    }

    @Test func encodesOnlyUnreservedCharactersAsThemselves() {
        #expect(URIEncoding.encode("a b+c/d~e_f.g-h*ü", keepSlash: true) == "a%20b%2Bc/d~e_f.g-h%2A%C3%BC")
        #expect(URIEncoding.encode("a/b") == "a%2Fb")
        #expect(URIEncoding.decode("a%20b%2Bc%C3%BC") == "a b+cü")
        #expect(URIEncoding.decode("%zz") == nil)
        #expect(URIEncoding.decode("%FF") == nil)
    }

    @Test func formatsTimestampsOverCenturies() {
        #expect(AMZDate(Date(timeIntervalSince1970: 0)).timestamp == "19700101T000000Z")
        #expect(AMZDate(Date(timeIntervalSince1970: 951_782_400)).timestamp == "20000229T000000Z")
        #expect(AMZDate(Date(timeIntervalSince1970: 4_102_444_799)).timestamp == "20991231T235959Z")
    }

    @Test func credentialsNeverPrintTheirSecrets() {
        let credentials = Credentials(accessKeyId: "AKID", secretAccessKey: "very-secret", sessionToken: "tok-secret")
        #expect(!"\(credentials)".contains("very-secret") && !"\(credentials)".contains("tok-secret"))
        #expect("\(credentials)".contains("AKID"))
    }
}
