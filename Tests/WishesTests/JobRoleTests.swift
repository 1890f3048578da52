import Foundation
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import Wishes
@testable import WishesAWS
@testable import WishesWeb

/// A wish's job role (issue 17): only roles the stack allows, assumed by the task for the attempt and
/// served to the command alone on a loopback endpoint of its own, renewed before it runs out.
struct JobRoleTests {
    static let role = "arn:aws:iam::123456789012:role/jobs/wishes-test-job"

    @Test func aJobRoleArnMustBeAnIAMRoleARN() throws {
        for good in [
            Self.role, "arn:aws:iam::123456789012:role/a", "arn:aws-us-gov:iam::000000000000:role/x/y/z+=,.@_-",
            "arn:aws-cn:iam::123456789012:role/service-role/my-job",
        ] {
            #expect(JobRole.isValid(good), "\(good)")
            #expect(try WishSpec.parse(json: Array(#"{"wish":"w","jobRoleArn":"\#(good)"}"#.utf8), now: Date()).jobRoleArn == good)
        }
        for bad in [
            "", "my-job", "arn:aws:iam::123456789012:user/me", "arn:aws:iam::12345678901:role/short-account",
            "arn:aws:iam:us-east-1:123456789012:role/regional", "arn:aws:sts::123456789012:assumed-role/r/s",
            "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role//double", "arn:Aws:iam::123456789012:role/r",
            "arn:aws:iam::123456789012:role/\(String(repeating: "n", count: 65))", "arn:aws:iam::123456789012:role/sp ace",
            "arn:aws:iam::123456789012:role/a\u{0}b",
        ] {
            #expect(!JobRole.isValid(bad), "\(bad)")
            #expect {
                try WishSpec.parse(json: Array(try JSONSerialization.data(withJSONObject: ["wish": "w", "jobRoleArn": bad])), now: Date())
            } throws: { ($0 as? WishValidationError)?.problems.map(\.field) == ["jobRoleArn"] }
        }
        #expect { try WishSpec.parse(json: Array(#"{"wish":"w","jobRoleArn":7}"#.utf8), now: Date()) } throws: {
            ($0 as? WishValidationError)?.problems.map(\.field) == ["jobRoleArn"]
        }
    }

    @Test func onlyTheStacksJobRolesMayBeNamed() throws {
        let spec = WishSpec(wish: "w", jobRoleArn: Self.role)
        for limits in [WishLimits(), WishLimits(jobRoleArns: ["arn:aws:iam::123456789012:role/other"])] {
            #expect { try limits.apply(to: spec) } throws: { error in
                guard let problem = (error as? WishValidationError)?.problems.first else { return false }
                return problem.field == "jobRoleArn" && problem.rule.contains("WISHES_JOB_ROLE_ARNS")
            }
        }
        #expect(try WishLimits(jobRoleArns: [Self.role]).apply(to: spec).jobRoleArn == Self.role)
        #expect(try WishLimits().apply(to: WishSpec(wish: "no role")).jobRoleArn == nil, "a wish without a role needs none allowed")
    }

    @Test func theAllowedJobRolesComeFromTheEnvironmentAndAMalformedOneStopsTheProgram() throws {
        #expect(try WishLimits.fromEnvironment([:]).jobRoleArns == [])
        #expect(try WishLimits.fromEnvironment(["WISHES_JOB_ROLE_ARNS": ""]).jobRoleArns == [])
        let two = "\(Self.role), arn:aws:iam::123456789012:role/second"
        #expect(try WishLimits.fromEnvironment(["WISHES_JOB_ROLE_ARNS": two]).jobRoleArns == [Self.role, "arn:aws:iam::123456789012:role/second"])
        #expect(throws: SettingsError.self) { try WishLimits.fromEnvironment(["WISHES_JOB_ROLE_ARNS": "\(Self.role),my-job"]) }
    }

    @Test func theSessionNameNamesTheAttemptInSTSsCharactersAndLength() {
        let id = WishID.generate(at: Date())
        let name = JobRole.sessionName(subject: WishSubject(id: id, arrayIndex: 9999), attempt: 10)
        #expect(name == "wish-\(id.rawValue)-9999-10")
        #expect((2...64).contains(name.count))
        #expect(JobRole.sessionName(subject: WishSubject(id: id), attempt: 1) == "wish-\(id.rawValue)-1")
    }

    // MARK: - The endpoint

    static func keys(_ expiration: Date = Date().addingTimeInterval(3600), counter: NIOLockedValueBox<Int> = .init(0)) -> JobRoleKeys {
        JobRoleKeys(logger: Logger(label: "test")) {
            let n = counter.withLockedValue {
                $0 += 1
                return $0
            }
            return Credentials(accessKeyId: "ASIAJOB\(n)", secretAccessKey: "secret-\(n)", sessionToken: "token-\(n)", expiration: expiration)
        }
    }

    static func get(_ url: String, authorization: String? = nil) async throws -> (status: UInt, body: String) {
        var request = try HTTPClient.Request(method: .GET, url: url)
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        let response = try await TestAWS.httpClient.execute(request, timeout: .seconds(5), maxBodyBytes: 1 << 16)
        return (UInt(response.status), String(buffer: response.body))
    }

    @Test(.timeLimit(.minutes(1))) func theEndpointServesTheJobRoleOnlyWithItsTokenAndClosesWithTheAttempt() async throws {
        let keys = Self.keys()
        let ended = NIOLockedValueBox(ContinuousClock.now)
        let url = try await JobCredentialsServer.run(keys: keys, roleArn: Self.role, logger: Logger(label: "test")) { address in
            #expect(address.url.hasPrefix("http://127.0.0.1:"))
            #expect(address.token.count == 64, "32 random bytes")
            #expect(Set(address.environment.keys) == ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"])
            let served = try await Self.get(address.url, authorization: address.token)
            #expect(served.status == 200)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(served.body.utf8)) as? [String: String])
            #expect(Set(object.keys) == ["AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"], "the ECS agent's fields")
            #expect(object["RoleArn"] == Self.role)
            #expect(object["AccessKeyId"] == "ASIAJOB1")
            #expect(object["Expiration"].flatMap { try? Date($0, strategy: .iso8601) } != nil, "RFC 3339, as ECS writes it")
            // What the SDKs do with it: the same keys, through the project's own container provider.
            let provider = try #require(ContainerCredentialProvider(environment: address.environment, httpClient: TestAWS.httpClient))
            let credentials = try await provider.credentials()
            #expect(credentials.accessKeyId == "ASIAJOB1" && credentials.sessionToken == "token-1" && credentials.expiration != nil)

            #expect(try await Self.get(address.url).status == 401, "no token")
            #expect(try await Self.get(address.url, authorization: String(repeating: "0", count: 64)).status == 403, "a guessed token")
            #expect(try await Self.get(address.url, authorization: address.token + "x").status == 403)
            let base = address.url.split(separator: "/").prefix(2).joined(separator: "//")
            #expect(try await Self.get(base + "/", authorization: address.token).status == 404, "another path")
            #expect(try await Self.get(base + "/v2/credentials/guess", authorization: address.token).status == 404)
            #expect(!(try await Self.get(base + "/v2/credentials/guess").body.contains("ASIAJOB")))
            ended.withLockedValue { $0 = .now }
            return address.url
        }
        // The HTTP client keeps its connections alive (idle for 50 s): the endpoint closes them and ends at once.
        #expect(ContinuousClock.now - ended.withLockedValue { $0 } < .seconds(2))
        await #expect(throws: (any Error).self, "the endpoint is closed once the attempt ends") { _ = try await Self.get(url) }
    }

    @Test func keysAreRenewedBeforeTheyHaveFifteenMinutesLeft() async throws {
        let counter = NIOLockedValueBox(0)
        let longLived = Self.keys(Date().addingTimeInterval(3600), counter: counter)
        #expect(try await longLived.credentials().accessKeyId == "ASIAJOB1")
        #expect(try await longLived.credentials().accessKeyId == "ASIAJOB1", "kept while more than 15 minutes are left")
        #expect(counter.withLockedValue { $0 } == 1)
        let dueSoon = Self.keys(Date().addingTimeInterval(14 * 60), counter: NIOLockedValueBox(0))
        #expect(try await dueSoon.credentials().accessKeyId == "ASIAJOB1")
        #expect(try await dueSoon.credentials().accessKeyId == "ASIAJOB2", "less than 15 minutes left: assumed again")
        // Many requests at once, one assumption.
        let together = NIOLockedValueBox(0)
        let shared = JobRoleKeys(logger: Logger(label: "test")) {
            try await Task.sleep(for: .milliseconds(200))
            let n = together.withLockedValue {
                $0 += 1
                return $0
            }
            return Credentials(accessKeyId: "ASIA\(n)", secretAccessKey: "s", sessionToken: "t", expiration: Date().addingTimeInterval(3600))
        }
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try await shared.credentials().accessKeyId } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids == ["ASIA1"])
        #expect(together.withLockedValue { $0 } == 1)
    }

    @Test func validKeysAreStillServedWhenTheRoleCannotBeAssumedAgain() async throws {
        struct Refused: Error {}
        let calls = NIOLockedValueBox(0)
        let keys = JobRoleKeys(logger: Logger(label: "test")) {
            let n = calls.withLockedValue {
                $0 += 1
                return $0
            }
            if n > 1 { throw Refused() }
            return Credentials(accessKeyId: "ASIAKEPT", secretAccessKey: "s", sessionToken: "t", expiration: Date().addingTimeInterval(10 * 60))
        }
        #expect(try await keys.credentials().accessKeyId == "ASIAKEPT")
        #expect(try await keys.credentials().accessKeyId == "ASIAKEPT", "ten minutes left: still valid, so kept")
        #expect(calls.withLockedValue { $0 } == 2)
        let never = JobRoleKeys(logger: Logger(label: "test")) { throw Refused() }
        await #expect(throws: Refused.self) { _ = try await never.credentials() }
    }
}

// MARK: - Through the web and the dispatcher

extension WebTrustTests {
    @Test func aJobRoleTheStackDoesNotAllowIsRefusedWithItsField() async throws {
        let allowed = JobRoleTests.role
        try await withWeb(limits: WishLimits(jobRoleArns: [allowed])) { client, fixture in
            let other = try await post(client, "/api/wishes", #"{"wish":"w","jobRoleArn":"arn:aws:iam::123456789012:role/admin"}"#)
            #expect(other.status == .badRequest)
            let problem = try #require((try Self.object(other)["problems"] as? [[String: String]])?.first)
            #expect(problem["field"] == "jobRoleArn")
            let malformed = try await post(client, "/api/wishes", #"{"wish":"w","jobRoleArn":"admin"}"#)
            #expect(malformed.status == .badRequest)
            #expect((try Self.object(malformed)["problems"] as? [[String: String]])?.first?["field"] == "jobRoleArn")
            let accepted = try await post(client, "/api/wishes", #"{"wish":"w","jobRoleArn":"\#(allowed)"}"#)
            #expect(accepted.status == .accepted)
            #expect((try Self.object(accepted)["spec"] as? [String: Any])?["jobRoleArn"] as? String == allowed)
            #expect(try await fixture.messages() == 1)
            let document = String(buffer: try await client.execute(uri: "/openapi.yaml", method: .get).body)
            #expect(document.contains("jobRoleArn:"))
        }
    }

    /// A wish sent straight to the queue with a role the stack does not allow ends FAILED, naming the field.
    @Test func theDispatcherRefusesAJobRoleTheStackDoesNotAllow() async throws {
        try await withWeb { _, fixture in
            let settings = WishesSettings(
                bucket: fixture.bucket, queueURL: fixture.queueURL, cluster: "wishes", taskDefinition: "count-to-three:3",
                limits: WishLimits(jobRoleArns: [JobRoleTests.role]))
            let dispatcher = Dispatcher(aws: AWSClients(client: fixture.aws.client), settings: settings)
            let id = WishID.generate(at: Date())
            let body = #"{"id":"\#(id)","spec":{"command":["aws","s3","ls"],"jobRoleArn":"arn:aws:iam::123456789012:role/admin"}}"#
            let record = SQSEvent.Record(
                messageId: "m", receiptHandle: "r", body: body, attributes: ["ApproximateReceiveCount": "1"],
                eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:wishes")
            try await dispatcher.handle(record, logger: Logger(label: "test"))
            let status = try #require(try await dispatcher.statuses.read(WishSubject(id: id)))
            #expect(status.state == .failed)
            #expect(status.statusReason?.contains("jobRoleArn") == true, "\(status.statusReason ?? "")")
        }
    }
}

// MARK: - In the local cloud

/// End to end: the local cloud allows its example role `wishes-local-job`, which trusts the role its
/// tasks run as and may only say who it is and list buckets.
@Suite(.serialized)
struct JobRoleLocalCloudTests {
    static let localJobRole = "arn:aws:iam::123456789012:role/wishes-local-job"

    /// The interpreter of the tests' own python3 (with boto3), by its real path: the command's PATH may
    /// not find a version manager's shim.
    static let python: String = {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        process.standardOutput = pipe
        try? process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    static let probe = #"""
        import json, os, urllib.error, urllib.request
        import boto3, botocore.exceptions
        out = {"names": sorted(n for n in os.environ if n.startswith(("AWS_CONTAINER_", "AWS_ACCESS_KEY", "AWS_SECRET", "AWS_SESSION", "ECS_")))}
        uri, token = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"), os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        def get(url, auth=None):
            request = urllib.request.Request(url, headers={"Authorization": auth} if auth else {})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.status, json.load(response)
            except urllib.error.HTTPError as error:
                return error.code, None
        if uri:
            out["withToken"], body = get(uri, token)
            out["roleArn"] = (body or {}).get("RoleArn")
            out["noToken"] = get(uri)[0]
            out["guessedToken"] = get(uri, "0" * len(token))[0]
            out["otherPath"] = get(uri.rsplit("/", 1)[0] + "/v2/credentials/guess", token)[0]
        try:
            out["caller"] = boto3.client("sts").get_caller_identity()["Arn"]
        except botocore.exceptions.NoCredentialsError:
            out["caller"] = None
        try:
            boto3.client("s3").get_object(Bucket=os.environ["VICTIM_BUCKET"], Key=os.environ["VICTIM_KEY"])
            out["victim"] = "READ"
        except botocore.exceptions.NoCredentialsError:
            out["victim"] = "NoCredentials"
        except botocore.exceptions.ClientError as error:
            out["victim"] = error.response["Error"]["Code"]
        print("PROBE " + json.dumps(out))
        """#

    func cloud() async throws -> LocalCloudProcess.State { try await LocalCloudProcess.shared.state() }

    func submit(_ spec: [String: Any], expect status: Int = 202) async throws -> HTTP.Answer {
        let body = try JSONSerialization.data(withJSONObject: spec)
        let posted = try await cloud().call("POST", "/api/wishes", body: String(decoding: body, as: UTF8.self), headers: ["Content-Type": "application/json"])
        #expect(posted.status == status, "\(posted.body)")
        return posted
    }

    /// The probe's findings, from the wish's output.
    func probe(_ id: String) async throws -> [String: Any] {
        let state = try await cloud()
        let result = try await state.final(id, within: 90)
        let output = try await state.call("GET", "/api/wishes/\(id)/output").body
        #expect(result["state"] as? String == "SUCCEEDED", "\(result["statusReason"] ?? "")\n\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("PROBE ") }, "\(output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any])
    }

    @Test(.timeLimit(.minutes(3))) func aCommandWithAJobRoleGetsThatRoleAndACommandWithoutOneGetsNoCredentials() async throws {
        let state = try await cloud()
        // Another wish's environment, as the web stores it: the tools' keys read it, the job role's must not.
        let victim = WishID.generate(at: Date())
        let key = S3Layout(prefix: "").secrets(victim)
        try await state.aws().s3.putObject(bucket: state.bucket, key: key, body: Array(#"{"APP_SECRET":"s3cr3t"}"#.utf8), contentType: "application/json")
        #expect(try await state.aws().s3.getObjectIfExists(bucket: state.bucket, key: key) != nil, "control: the object is there")
        let environment = [
            "AWS_ENDPOINT_URL": state.endpoint, "AWS_DEFAULT_REGION": "us-east-1", "VICTIM_BUCKET": state.bucket, "VICTIM_KEY": key,
            // No instance metadata and no files of the machine's user: the chain must come up empty.
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
        ]
        func spec(_ role: String?) -> [String: Any] {
            var spec: [String: Any] = ["command": [Self.python, "-c", Self.probe], "environment": environment.map { ["name": $0.key, "value": $0.value] }]
            spec["jobRoleArn"] = role
            return spec
        }
        let withRole = try #require(
            (try JSONSerialization.jsonObject(with: Data(try await submit(spec(Self.localJobRole)).body.utf8)) as? [String: Any])?["id"] as? String)
        let withoutRole = try #require(
            (try JSONSerialization.jsonObject(with: Data(try await submit(spec(nil)).body.utf8)) as? [String: Any])?["id"] as? String)

        let job = try await probe(withRole)
        #expect(job["names"] as? [String] == ["AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"], "\(job)")
        #expect(job["withToken"] as? Int == 200)
        #expect(job["roleArn"] as? String == Self.localJobRole)
        #expect(job["noToken"] as? Int == 401)
        #expect(job["guessedToken"] as? Int == 403)
        #expect(job["otherPath"] as? Int == 404)
        let caller = try #require(job["caller"] as? String, "\(job)")
        #expect(caller == "arn:aws:sts::123456789012:assumed-role/wishes-local-job/wish-\(withRole)-1", "the job role, not the task's")
        #expect(job["victim"] as? String == "AccessDenied", "\(job)")

        let plain = try await probe(withoutRole)
        #expect(plain["names"] as? [String] == [], "no AWS_CONTAINER_*, keys or ECS_* at all: \(plain)")
        #expect(plain["caller"] is NSNull, "no credentials in the SDK's chain: \(plain)")
        #expect(plain["victim"] as? String == "NoCredentials")
    }

    @Test func aJobRoleTheLocalCloudDoesNotAllowGets400() async throws {
        for role in ["arn:aws:iam::123456789012:role/wishes-local", "not-an-arn"] {
            let answer = try await submit(["command": ["true"], "jobRoleArn": role], expect: 400)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
            #expect((object["problems"] as? [[String: String]])?.map { $0["field"] } == ["jobRoleArn"], "\(answer.body)")
        }
    }
}
