import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// The strict moto (`scripts/lib/moto_server.py`) as the referee of signatures: every other suite
/// trusts it, so first it must accept what the SDKs sign, refuse what they would not, and then our
/// clients must pass it with the same hard keys and prefixes, sending exactly the bytes they signed.
@Suite(.serialized) struct SignatureCheckTests {
    /// Keys that break a signer or a server that decodes or normalizes once too often or too little.
    static let keys = [
        "plain.txt", "a+b", "tilde~equals=percent%sign space", "é/ü/日本", "a//b", "dir/sub/leaf",
        "sp ace/+plus/=eq/%pc/~t", "a/./dot/../dots", "q?mark#hash&amp;semi;colon,comma'quote*star", "emoji ✨/x",
    ]
    /// ListObjectsV2 prefixes: a '/' in a query value is where moto's own check refused boto3.
    static let prefixes = ["dir/", "a/", "é/", "sp ace/+plus/", "a//", "q?mark#hash&", "emoji ✨/", "tilde~equals=percent%"]

    struct CheckInput: Encodable {
        var bucket: String, queueUrl: String, keys: [String], prefixes: [String]
        var adminKey: String, adminSecret: String, roleArn: String
        /// Whether the aws CLI runs too: four Pythons loading botocore, and a second signer checked once is enough.
        var cli: Bool
    }
    struct Verdict: Decodable {
        var `case`: String
        var ok: Bool
        var detail: String
    }
    struct WireLine: Decodable {
        var method: String
        var target: String
    }

    /// The launcher serves with either: the raw request line must reach the check under both.
    static let servers = ["waitress", "werkzeug"]

    /// A bucket and a queue on a moto of the test's own, which logs every request target it receives.
    func withOwnServer(_ server: String = "auto", _ body: (TestAWS, String, String, URL) async throws -> Void) async throws {
        try await withOwnServer(server) { _, aws, bucket, queue, wireLog in try await body(aws, bucket, queue, wireLog) }
    }

    func withOwnServer(_ server: String = "auto", _ body: (MotoServer.Instance, TestAWS, String, String, URL) async throws -> Void) async throws {
        let wireLog = FileManager.default.temporaryDirectory.appendingPathComponent("wire-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: wireLog) }
        try await MotoServer.withPrivateServer(server: server, wireLog: wireLog) { moto in
            let aws = TestAWS.at(moto)
            try await aws.withBucket { bucket in
                try await aws.withQueue { queue in
                    try await body(moto, aws, bucket, queue, wireLog)
                }
            }
        }
    }

    @Test(arguments: servers)
    func boto3AndTheCLIAreAcceptedAndForgeriesRefused(server: String) async throws {
        try await withOwnServer(server) { moto, aws, bucket, queue, _ in
            let input = CheckInput(
                bucket: bucket, queueUrl: queue, keys: Self.keys, prefixes: Self.prefixes,
                adminKey: moto.admin.accessKeyId, adminSecret: moto.admin.secretAccessKey, roleArn: moto.roleArn,
                cli: server == Self.servers[0])
            let verdicts = try await Python.run("strict_moto_check.py", input: input, environment: aws.pythonEnvironment, as: [Verdict].self)
            #expect(verdicts.count > (server == Self.servers[0] ? 40 : 35), "the referee ran its checks")
            for verdict in verdicts {
                #expect(verdict.ok, "\(verdict.case): \(verdict.detail)")
            }
        }
    }

    @Test(arguments: servers)
    func ourS3ClientIsAcceptedForTheHardestKeysAndPrefixesAndSendsWhatItSigned(server: String) async throws {
        try await withOwnServer(server) { aws, bucket, _, wireLog in
            for key in Self.keys {
                let body = Array("ours \(key)".utf8)
                #expect(try await aws.s3.putObjectIfAbsent(bucket: bucket, key: key, body: body), "\(key)")
                #expect(try await aws.s3.getObject(bucket: bucket, key: key).body == body, "\(key)")
                #expect(try await aws.s3.getObject(bucket: bucket, key: key, range: 0...3).text == "ours", "\(key)")
                _ = try await aws.s3.headObject(bucket: bucket, key: key)
            }
            for prefix in Self.prefixes {
                let listed = try await aws.s3.listAllObjects(bucket: bucket, prefix: prefix).map(\.key)
                #expect(listed == Self.keys.filter { $0.hasPrefix(prefix) }.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }, "prefix \(prefix)")
                let page = try await aws.s3.listObjectsV2(bucket: bucket, prefix: prefix, delimiter: "/", maxKeys: 7, startAfter: prefix + "~%+= é")
                #expect(page.objects.allSatisfy { $0.key.hasPrefix(prefix) }, "prefix \(prefix)")
            }
            for key in Self.keys { try await aws.s3.deleteObject(bucket: bucket, key: key) }
            #expect(try await aws.s3.listAllObjects(bucket: bucket).isEmpty)

            // What went over the wire is what was signed: the path and query exactly as the signer
            // encoded them (SigV4's canonical form, which S3 signs as sent), nothing re-encoded on the way.
            let received = try Self.wire(wireLog)
            let encodedBucket = URIEncoding.encode(bucket)
            for key in Self.keys {
                let target = "/\(encodedBucket)/\(URIEncoding.encode(key, keepSlash: true))"
                for method in ["PUT", "GET", "HEAD", "DELETE"] {
                    #expect(received.contains { $0.method == method && $0.target == target }, "\(method) \(target) not received as signed")
                }
            }
            for prefix in Self.prefixes {
                let query = URIEncoding.query([("list-type", "2"), ("encoding-type", "url"), ("prefix", prefix)])
                #expect(received.contains { $0.method == "GET" && $0.target == "/\(encodedBucket)?\(query)" }, "list \(prefix) not received as signed")
            }
            for line in received {
                #expect(Self.isCanonical(line.target), "\(line.method) \(line.target) is not in SigV4's canonical encoding")
            }
        }
    }

    @Test func ourSQSClientIsAcceptedWithBodiesAndAttributesOfEveryKind() async throws {
        try await withOwnServer { aws, _, queue, _ in
            let text = "ours +~=% é 日本 ✨ \"quoted\" <xml/> & \\ back"
            try await aws.sqs.sendMessage(queueURL: queue, .init(id: "1", body: text, attributes: ["k": .init(string: "v +~=% é/日本")]))
            let batch = try await aws.sqs.sendMessageBatch(queueURL: queue, (2...4).map { .init(id: "m\($0)", body: "\(text) \($0)") })
            #expect(batch.failed.isEmpty)
            var received: [SQS.Message] = []
            for _ in 0..<5 where received.count < 4 {
                received += try await aws.sqs.receiveMessages(queueURL: queue, waitTimeSeconds: 1)
            }
            #expect(Set(received.map(\.Body)) == Set([text] + (2...4).map { "\(text) \($0)" }))
            #expect(received.first { $0.Body == text }?.MessageAttributes?["k"]?.StringValue == "v +~=% é/日本")
            let handles = received.map(\.ReceiptHandle)
            try await aws.sqs.deleteMessage(queueURL: queue, receiptHandle: handles[0])
            let deleted = try await aws.sqs.deleteMessageBatch(queueURL: queue, handles.dropFirst().enumerated().map { ("d\($0.offset)", $0.element) })
            #expect(deleted.failed.isEmpty)
        }
    }

    @Test func anIPv6EndpointIsSignedForTheHostItIsSentTo() async throws {
        try await MotoServer.withPrivateServer(host: "::1") { moto in
            #expect(moto.endpoint.hostHeader.hasPrefix("[::1]:"))
            let aws = TestAWS.at(moto, retry: .none)
            try await aws.withBucket { bucket in
                try await aws.s3.putObject(bucket: bucket, key: "v6/é", body: Array("six".utf8))
                #expect(try await aws.s3.getObject(bucket: bucket, key: "v6/é").text == "six")
                try await aws.s3.deleteObject(bucket: bucket, key: "v6/é")
            }
            try await aws.withQueue { queue in
                try await aws.sqs.sendMessage(queueURL: queue, .init(id: "1", body: "six"))
            }
        }
    }

    @Test func temporaryCredentialsAreRefusedWithAWSsCodesWhenTheSecretOrTokenIsWrong() async throws {
        try await withOwnServer { aws, bucket, queue, _ in
            let good = aws.roleCredentials
            #expect(good.accessKeyId.hasPrefix("ASIA") && good.sessionToken != nil)
            var wrongSecret = good
            wrongSecret.secretAccessKey = String(good.secretAccessKey.reversed())
            var wrongToken = good
            wrongToken.sessionToken = String(good.sessionToken?.dropLast(4) ?? "") + "AAAA"
            var noToken = good
            noToken.sessionToken = nil
            for (credentials, s3Code, sqsCode) in [
                (wrongSecret, "SignatureDoesNotMatch", "InvalidSignatureException"),
                (wrongToken, "InvalidToken", "UnrecognizedClientException"),
                (noToken, "InvalidAccessKeyId", "UnrecognizedClientException"),
            ] {
                let client = Self.client(aws, credentials)
                await #expect { _ = try await S3Client(client: client).listObjectsV2(bucket: bucket) } throws: {
                    ($0 as? AWSClientError)?.serviceError?.code == s3Code
                }
                await #expect { _ = try await SQSClient(client: client).getQueueAttributes(url: queue) } throws: {
                    ($0 as? AWSClientError)?.serviceError?.code == sqsCode
                }
            }
        }
    }

    @Test func aClockFifteenMinutesOffIsRefusedAsAWSDoes() async throws {
        try await withOwnServer { aws, bucket, _, _ in
            let late = Self.client(aws, aws.roleCredentials, clock: ShiftedClock(seconds: -20 * 60))
            await #expect { _ = try await S3Client(client: late).listObjectsV2(bucket: bucket) } throws: {
                ($0 as? AWSClientError)?.serviceError?.code == "RequestTimeTooSkewed"
            }
            let slightlyLate = Self.client(aws, aws.roleCredentials, clock: ShiftedClock(seconds: -5 * 60))
            _ = try await S3Client(client: slightlyLate).listObjectsV2(bucket: bucket)
        }
    }

    @Test func stsAssumeRoleHandsOutExpiringCredentialsAndReportsQueryErrors() async throws {
        try await MotoServer.withPrivateServer { moto in
            let admin = AWSClient(
                configuration: AWSConfiguration(region: "us-east-1", endpoints: [.sts: moto.endpoint]), httpClient: TestAWS.httpClient,
                credentialProvider: StaticCredentialProvider(moto.admin), retry: .none)
            let issued = try await STSClient(client: admin).assumeRole(roleArn: moto.roleArn, sessionName: "sig.check@tests", durationSeconds: 900)
            #expect(issued.accessKeyId.hasPrefix("ASIA"))
            #expect(issued.sessionToken?.isEmpty == false)
            let lifetime = try #require(issued.expiration).timeIntervalSinceNow
            #expect(lifetime > 800 && lifetime <= 901, "expires in \(lifetime) s")
            // The new credentials work at once, through the caching provider the SDKs' chain uses.
            let provider = CachingCredentialProvider(AssumeRoleCredentialProvider(sts: STSClient(client: admin), roleArn: moto.roleArn, sessionName: "cached"))
            let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.s3: moto.endpoint, .sqs: moto.endpoint])
            let s3 = S3Client(client: AWSClient(configuration: configuration, httpClient: TestAWS.httpClient, credentialProvider: provider, retry: .none))
            try await s3.createBucket("assumed")
            try await s3.deleteBucket("assumed")

            var wrong = moto.admin
            wrong.secretAccessKey += "x"
            let forged = AWSClient(
                configuration: admin.configuration, httpClient: TestAWS.httpClient, credentialProvider: StaticCredentialProvider(wrong), retry: .none)
            await #expect { _ = try await STSClient(client: forged).assumeRole(roleArn: moto.roleArn, sessionName: "forged") } throws: {
                let error = ($0 as? AWSClientError)?.serviceError
                return error?.code == "SignatureDoesNotMatch" && error?.statusCode == 403 && error?.service == .sts && error?.operation == "AssumeRole"
            }
            await #expect { _ = try await STSClient(client: admin).assumeRole(roleArn: moto.roleArn, sessionName: "has space") } throws: {
                ($0 as? AWSClientError)?.serviceError?.code == "ValidationError"
            }
            await #expect { _ = try await STSClient(client: admin).assumeRole(roleArn: moto.roleArn, sessionName: "ok", durationSeconds: 60) } throws: {
                ($0 as? AWSClientError)?.serviceError?.message.contains("900...43200") == true
            }
        }
    }

    @Test func stsReadsItsAnswerAndTheQueryProtocolsErrors() throws {
        let answer = """
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
            <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
            <Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret/+=</SecretAccessKey>
            <SessionToken>token&amp;more</SessionToken><Expiration>2026-11-30T01:02:03Z</Expiration></Credentials>
            </AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>
            """
        let credentials = try STS.credentials(from: XMLTree.parse(Array(answer.utf8)))
        #expect(
            credentials
                == Credentials(
                    accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret/+=", sessionToken: "token&more",
                    expiration: Date(timeIntervalSince1970: 1_796_000_523)))
        let fraction = answer.replacingOccurrences(of: "03Z", with: "03.250Z")
        #expect(try STS.credentials(from: XMLTree.parse(Array(fraction.utf8))).expiration == Date(timeIntervalSince1970: 1_796_000_523.25))
        // AWS's shape and moto's (with an extra <Errors>) both name the code.
        for body in [
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>",
            "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>no</Message></Error></Errors></ErrorResponse>",
        ] {
            let error = AWSErrorParser.parse(AWSResponse(status: 403, headers: [], body: Array(body.utf8)), service: .sts, operation: "AssumeRole")
            #expect(error.code == "AccessDenied" && error.message == "no")
        }
        let request = STSClient.request("AssumeRole", [("Action", "AssumeRole"), ("RoleSessionName", "a b+c")])
        #expect(String(decoding: request.body, as: UTF8.self) == "Action=AssumeRole&RoleSessionName=a%20b%2Bc")
        #expect(AWSConfiguration(region: "eu-west-1").endpoint(for: .sts).description == "https://sts.eu-west-1.amazonaws.com")
        #expect(try AWSConfiguration.fromEnvironment(["AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"]).endpoint(for: .sts).port == 9)
    }

    static func client(_ aws: TestAWS, _ credentials: Credentials, clock: any WallClock = SystemClock()) -> AWSClient {
        AWSClient(
            configuration: aws.client.configuration, httpClient: TestAWS.httpClient, credentialProvider: StaticCredentialProvider(credentials),
            retry: .none, clock: clock)
    }

    static func wire(_ log: URL) throws -> [WireLine] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { try JSONDecoder().decode(WireLine.self, from: Data($0.utf8)) }
    }

    /// True when decoding each path segment and query component once and encoding it as SigV4 does
    /// gives the target back unchanged: what a server signs is then exactly what came.
    static func isCanonical(_ target: String) -> Bool {
        func same(_ part: Substring) -> Bool { URIEncoding.decode(part).map { URIEncoding.encode($0) == part } ?? false }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let segments = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        let components = parts.dropFirst().flatMap {
            $0.split(separator: "&").flatMap { $0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false) }
        }
        return segments.allSatisfy(same) && components.allSatisfy(same)
    }
}
