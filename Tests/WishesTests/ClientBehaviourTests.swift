import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// Retries, timeouts, errors and credentials: the client's behaviour when peers misbehave.
struct ClientBehaviourTests {
    func ecs(_ endpoint: Endpoint, retry: RetryPolicy, timeout: Duration = .seconds(5)) -> ECSClient {
        ECSClient(
            client: AWSClient(
                configuration: AWSConfiguration(region: "us-east-1", endpoints: [.ecs: endpoint]), httpClient: TestAWS.httpClient,
                credentialProvider: StaticCredentialProvider(TestAWS.credentials), retry: retry, timeout: timeout))
    }

    @Test func throttlingIsRetriedWithBackoffUntilItPasses() async throws {
        let peer = try await PeerProcess.badPeer(mode: "throttle-then-ok")
        let quota = RetryQuota()
        let output = try await ecs(peer.endpoint, retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), quota: quota)).listTasks(.init())
        #expect(output.taskArns == ["arn:after-3-calls"])
        #expect(peer.requests == 3)
        // As botocore's standard mode: two retries cost 5 each; the success refunds the last one.
        #expect(quota.available == RetryQuota.capacity - 5)
    }

    @Test func throttlingBeyondTheAttemptsIsATypedError() async throws {
        let peer = try await PeerProcess.badPeer(mode: "throttle-then-ok")
        await #expect { _ = try await ecs(peer.endpoint, retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5))).listTasks(.init()) } throws: {
            guard let error = ($0 as? AWSClientError)?.serviceError else { return false }
            return error.code == "ThrottlingException" && error.isThrottling && error.message == "Rate exceeded"
        }
        #expect(peer.requests == 2)
    }

    @Test func anEmptyRetryQuotaStopsRetries() async throws {
        let peer = try await PeerProcess.badPeer(mode: "always-500")
        let quota = RetryQuota()
        while quota.acquire(timeout: false) != nil {}
        await #expect(throws: AWSClientError.self) {
            _ = try await ecs(peer.endpoint, retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), quota: quota)).listTasks(.init())
        }
        #expect(peer.requests == 1)
    }

    @Test func aPeerThatNeverAnswersTimesOut() async throws {
        let peer = try await PeerProcess.badPeer(mode: "hang")
        let started = ContinuousClock.now
        await #expect { _ = try await ecs(peer.endpoint, retry: .none, timeout: .milliseconds(300)).listTasks(.init()) } throws: {
            if case .timeout(_, "ListTasks", _) = $0 as? AWSClientError { return true }
            return false
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aClosedPortIsATransportErrorAfterRetries() async throws {
        let port = try freePort()
        let endpoint = Endpoint(scheme: "http", host: "127.0.0.1", port: Int(port), isAWS: false)
        await #expect {
            _ = try await ecs(endpoint, retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1)), timeout: .seconds(1)).listTasks(.init())
        } throws: {
            if case .transport(.ecs, "ListTasks", _) = $0 as? AWSClientError { return true }
            return false
        }
    }

    @Test func containerCredentialsUseTheAuthorizationTokenFile() async throws {
        let peer = try await PeerProcess.badPeer(mode: "creds")
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID())")
        try "secret-token\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: tokenFile) }
        let environment = [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(peer.port)/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile.path,
        ]
        let credentials = try await DefaultCredentialProvider.make(environment: environment, httpClient: TestAWS.httpClient).credentials()
        #expect(credentials.accessKeyId == "ASIATASK" && credentials.sessionToken == "task-token")
        #expect(credentials.expiration == RFC3339.parse("2099-01-01T00:00:00Z"))
        let wrong = ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(peer.port)/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "nope"]
        await #expect { _ = try await DefaultCredentialProvider.make(environment: wrong, httpClient: TestAWS.httpClient).credentials() } throws: {
            "\($0)".contains("HTTP 401")
        }
    }

    @Test func environmentCredentialsComeFirstAndMustBeComplete() async throws {
        let full = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t", "AWS_PROFILE": "other"]
        #expect(try await DefaultCredentialProvider.make(environment: full, httpClient: TestAWS.httpClient).credentials().sessionToken == "t")
        await #expect(throws: CredentialError.incomplete(source: "the environment", missing: "AWS_SECRET_ACCESS_KEY")) {
            _ = try await DefaultCredentialProvider.make(environment: ["AWS_ACCESS_KEY_ID": "AKID"], httpClient: TestAWS.httpClient).credentials()
        }
        await #expect {
            _ = try await DefaultCredentialProvider.make(environment: ["HOME": "/nonexistent"], httpClient: TestAWS.httpClient).credentials()
        } throws: {
            "\($0)".contains("no AWS credentials found")
        }
    }

    @Test func profilesAreReadFromTheSharedFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("aws-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        # comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = secret-default
        [work]
        aws_access_key_id=AKIDWORK
        aws_secret_access_key=secret-work
        aws_session_token = token-work
        """.write(to: folder.appendingPathComponent("credentials"), atomically: true, encoding: .utf8)
        try "[profile cfg]\naws_access_key_id = AKIDCFG\naws_secret_access_key = s\n".write(
            to: folder.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        let base = [
            "AWS_SHARED_CREDENTIALS_FILE": folder.appendingPathComponent("credentials").path, "AWS_CONFIG_FILE": folder.appendingPathComponent("config").path,
        ]
        #expect(try ProfileCredentialProvider(environment: base).credentials().accessKeyId == "AKIDDEFAULT")
        #expect(try ProfileCredentialProvider(environment: base.merging(["AWS_PROFILE": "work"]) { $1 }).credentials().sessionToken == "token-work")
        #expect(try ProfileCredentialProvider(environment: base.merging(["AWS_PROFILE": "cfg"]) { $1 }).credentials().accessKeyId == "AKIDCFG")
        #expect(throws: CredentialError.self) { try ProfileCredentialProvider(environment: base.merging(["AWS_PROFILE": "missing"]) { $1 }).credentials() }
    }

    final class Counter: CredentialProvider, @unchecked Sendable {
        var calls = 0
        let lifetime: TimeInterval
        init(lifetime: TimeInterval) { self.lifetime = lifetime }
        func credentials() async throws -> Credentials {
            calls += 1
            return Credentials(accessKeyId: "K\(calls)", secretAccessKey: "s", expiration: Date().addingTimeInterval(lifetime))
        }
    }

    @Test func credentialsAreCachedUntilShortlyBeforeTheyExpire() async throws {
        let longLived = Counter(lifetime: 3600)
        let cache = CachingCredentialProvider(longLived)
        for _ in 0..<5 { _ = try await cache.credentials() }
        #expect(longLived.calls == 1)
        let expiring = Counter(lifetime: 60)  // inside the 5-minute margin: refreshed every time
        let refreshing = CachingCredentialProvider(expiring)
        _ = try await refreshing.credentials()
        #expect(try await refreshing.credentials().accessKeyId == "K2")
    }

    @Test func configurationIsReadAsTheSDKsReadIt() throws {
        let config = try AWSConfiguration.fromEnvironment([
            "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://localhost:5000", "AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:9000/",
        ])
        #expect(config.region == "eu-west-1")
        #expect(config.endpoint(for: .sqs).description == "http://localhost:5000")
        #expect(config.endpoint(for: .ecs).description == "http://127.0.0.1:9000")
        #expect(AWSConfiguration(region: "us-west-2").endpoint(for: .s3).description == "https://s3.us-west-2.amazonaws.com")
        #expect(throws: AWSConfiguration.ConfigurationError.missingRegion) { try AWSConfiguration.fromEnvironment([:]) }
        #expect(throws: AWSConfiguration.ConfigurationError.invalidEndpoint(variable: "AWS_ENDPOINT_URL_S3", value: "localhost:4566")) {
            try AWSConfiguration.fromEnvironment(["AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": "localhost:4566"])
        }
    }

    @Test func s3UsesVirtualHostsOnAWSAndPathsElsewhere() {
        let aws = S3Client(
            client: AWSClient(
                configuration: AWSConfiguration(region: "us-east-1"), httpClient: TestAWS.httpClient,
                credentialProvider: StaticCredentialProvider(TestAWS.credentials)))
        #expect(aws.location(bucket: "b", key: "a b/c").path == "/a%20b/c")
        #expect(aws.location(bucket: "b", key: "k").hostPrefix == "b.")
        #expect(aws.location(bucket: "with.dots", key: "k").path == "/with.dots/k")
    }
}
