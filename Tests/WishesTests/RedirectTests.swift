import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// S3 answers 301 for a bucket that lives in another region. It used to be read as a success: a
/// PUT "succeeded" and wrote nothing, a GET returned the redirect's XML as the object.
struct RedirectTests {
    func s3(_ endpoint: Endpoint) -> S3Client {
        S3Client(
            client: AWSClient(
                configuration: AWSConfiguration(region: "us-east-1", endpoints: [.s3: endpoint]), httpClient: TestAWS.httpClient,
                credentialProvider: StaticCredentialProvider(Credentials(accessKeyId: "ASIAREDIRECT", secretAccessKey: "s", sessionToken: "t")),
                retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1))))
    }

    @Test func aRedirectIsAnErrorThatNamesTheBucketsRegion() async throws {
        let peer = try await PeerProcess.badPeer(mode: "s3-redirect")
        let client = s3(peer.endpoint)
        await #expect { try await client.putObject(bucket: "far", key: "k", body: Array("x".utf8)) } throws: {
            guard let error = ($0 as? AWSClientError)?.serviceError else { return false }
            return error.code == "PermanentRedirect" && error.statusCode == 301
                && error.message.contains("the bucket is in region eu-west-1: set AWS_REGION=eu-west-1")
                && error.message.contains("far.s3.eu-west-1.amazonaws.com")
        }
        #expect(peer.requests == 1, "a redirect is not retried")
    }

    @Test func aRedirectToAHeadHasNoBodyButStillNamesTheRegion() async throws {
        let peer = try await PeerProcess.badPeer(mode: "s3-redirect")
        await #expect { _ = try await s3(peer.endpoint).headObject(bucket: "far", key: "k") } throws: {
            guard let error = ($0 as? AWSClientError)?.serviceError else { return false }
            return error.code == "PermanentRedirect" && error.message.contains("region eu-west-1")
        }
    }
}
