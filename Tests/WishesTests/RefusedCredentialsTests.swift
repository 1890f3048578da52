import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import Wishes
@testable import WishesAWS
@testable import WishesWeb

/// When AWS refuses the web's credentials, `POST /api/wishes` answers what the API documents:
/// 503 `not_queued`, with AWS's own error code, never a bare 500. moto checks signatures as AWS does.
struct RefusedCredentialsTests {
    func submit(with keys: Credentials, bucket: String, queue: String, endpoint: Endpoint) async throws -> (HTTPResponse.Status, [String: Any]) {
        let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.sqs: endpoint, .s3: endpoint])
        let client = AWSClient(
            configuration: configuration, httpClient: TestAWS.httpClient, credentialProvider: StaticCredentialProvider(keys),
            retry: RetryPolicy(maxAttempts: 1))
        let web = WebApp(
            book: WishBook(aws: AWSClients(client: client), settings: WishesSettings(bucket: bucket, queueURL: queue, asapQueueURL: queue)), token: nil)
        let answer = NIOLockedValueBox<(HTTPResponse.Status, Data)>((.ok, Data()))
        try await Application(router: web.router()).test(.router) { http in
            let response = try await http.execute(
                uri: "/api/wishes", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"wish":"refused"}"#))
            answer.withLockedValue { $0 = (response.status, Data(buffer: response.body)) }
        }
        let (status, body) = answer.withLockedValue { $0 }
        return (status, (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:])
    }

    @Test func aWrongSecretIs503NotQueuedWithAWSsCode() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let good = try await aws.client.credentialProvider.credentials()
                var wrong = good
                wrong.secretAccessKey = String(good.secretAccessKey.reversed())
                let (status, body) = try await submit(with: wrong, bucket: bucket, queue: queue, endpoint: aws.endpoint)
                #expect(status == .serviceUnavailable)
                #expect(body["error"] as? String == "not_queued")
                #expect(body["awsError"] as? String == "SignatureDoesNotMatch", "\(body)")
                #expect((body["message"] as? String)?.contains("submit it again") == true)
                let listed = try await aws.s3.listAllObjects(bucket: bucket)
                #expect(listed.isEmpty, "nothing was written with refused credentials")
            }
        }
    }

    @Test func anUnknownKeyIs503NotQueuedWithAWSsCode() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.withQueue { queue in
                let stranger = Credentials(accessKeyId: "ASIANOBODYKNOWS1234", secretAccessKey: "nobody", sessionToken: "nobody")
                let (status, body) = try await submit(with: stranger, bucket: bucket, queue: queue, endpoint: aws.endpoint)
                #expect(status == .serviceUnavailable)
                #expect(body["error"] as? String == "not_queued")
                #expect(["InvalidAccessKeyId", "InvalidClientTokenId"].contains(body["awsError"] as? String ?? ""), "\(body)")
            }
        }
    }
}
