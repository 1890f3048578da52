import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import Wishes
@testable import WishesAWS

/// Credentials handled as the AWS SDKs handle them: expiries read whatever their precision, the
/// container endpoint only where the SDKs allow it, expired keys refreshed, and keys that are still
/// valid used when a refresh fails.
struct CredentialHandlingTests {
    /// Hands out keys from a list, counting calls; a nil entry is a failure.
    final class ScriptedProvider: CredentialProvider {
        let answers: [Credentials?]
        let calls = NIOLockedValueBox(0)
        init(_ answers: [Credentials?]) { self.answers = answers }
        func credentials() async throws -> Credentials {
            let index = calls.withLockedValue { value -> Int in
                defer { value += 1 }
                return value
            }
            guard let answer = answers[min(index, answers.count - 1)] else { throw CredentialError.containerEndpoint("refresh failed (scripted)") }
            return answer
        }
    }

    struct FixedClock: WallClock { var now: Date }

    @Test(arguments: ["2026-11-30T01:00:00Z", "2026-11-30T01:00:00.123Z", "2026-11-30T01:00:00.123456Z", "2026-11-30T02:00:00+01:00"])
    func anExpiryIsReadWhateverItsPrecision(_ text: String) throws {
        let body = #"{"AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"\#(text)"}"#
        let credentials = try ContainerCredentialProvider.decode(Data(body.utf8))
        let expected = Date(timeIntervalSince1970: 1_796_000_400)  // 2026-11-30T01:00:00Z
        let expiration = try #require(credentials.expiration, "an unread expiry would keep the keys forever")
        #expect(abs(expiration.timeIntervalSince(expected)) < 1)
    }

    @Test func anUnreadableExpiryIsAnErrorNotForever() {
        #expect(throws: CredentialError.self) {
            _ = try ContainerCredentialProvider.decode(Data(#"{"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"tomorrow"}"#.utf8))
        }
    }

    @Test(arguments: [
        ("https://creds.example.com/v1", true), ("http://127.0.0.1:51679/creds", true), ("http://127.1.2.3/x", true),
        ("http://localhost:8080/x", true), ("http://[::1]:80/x", true), ("http://169.254.170.2/v2/credentials/abc", true),
        ("http://169.254.170.23/v1/credentials", true), ("http://[fd00:ec2::23]/v1/credentials", true),
        ("http://169.254.169.254/latest/meta-data/iam", false), ("http://example.com/creds", false), ("http://10.0.0.5/creds", false),
        ("http://2130706433/creds", false), ("http://127.0.0.1.evil.example/creds", false), ("ftp://127.0.0.1/creds", false),
    ])
    func theContainerEndpointIsTrustedOnlyWhereTheSDKsTrustIt(_ url: String, _ allowed: Bool) async throws {
        #expect(ContainerCredentialProvider.isAllowed(url) == allowed, "\(url)")
        if !allowed {
            let provider = try #require(ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": url], httpClient: TestAWS.httpClient))
            await #expect(throws: CredentialError.self) { _ = try await provider.credentials() }
        }
    }

    @Test func anExpiredTokenAnswerRefreshesTheKeysAndRetriesOnce() async throws {
        let peer = try await PeerProcess.badPeer(mode: "expired-once")
        let base = ScriptedProvider([
            Credentials(accessKeyId: "ASIAOLD", secretAccessKey: "s", sessionToken: "old"),
            Credentials(accessKeyId: "ASIANEW", secretAccessKey: "s", sessionToken: "new"),
        ])
        let quota = RetryQuota()
        let ecs = ECSClient(
            client: AWSClient(
                configuration: AWSConfiguration(region: "us-east-1", endpoints: [.ecs: peer.endpoint]), httpClient: TestAWS.httpClient,
                credentialProvider: CachingCredentialProvider(base), retry: RetryPolicy(maxAttempts: 1, quota: quota)))
        let output = try await ecs.listTasks(.init())
        #expect(output.taskArns == ["arn:after-2-calls"], "one more call, with new keys, even with retries off")
        #expect(base.calls.withLockedValue { $0 } == 2)
        #expect(quota.available == RetryQuota.capacity, "a refresh spends no retry quota")
    }

    @Test func keysStillValidAreUsedWhenARefreshInsideTheMarginFails() async throws {
        let now = Date()
        let soon = Credentials(accessKeyId: "ASIASOON", secretAccessKey: "s", sessionToken: "t", expiration: now.addingTimeInterval(120))
        let base = ScriptedProvider([soon, nil])
        let early = CachingCredentialProvider(base, refreshMargin: 300, clock: FixedClock(now: now))
        #expect(try await early.credentials() == soon)
        #expect(try await early.credentials() == soon, "the refresh failed, but the keys are good for two more minutes")
        #expect(base.calls.withLockedValue { $0 } == 2, "a refresh was tried")
        let late = CachingCredentialProvider(ScriptedProvider([soon, nil]), refreshMargin: 300, clock: FixedClock(now: now.addingTimeInterval(121)))
        _ = try? await late.credentials()
        await #expect(throws: CredentialError.self) { _ = try await late.credentials() }
    }
}
