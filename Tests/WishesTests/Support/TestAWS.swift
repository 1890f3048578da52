import Foundation
import Logging
import Wishes

@testable import WishesAWS

/// Clients pointed at the shared moto server, with names no other test uses.
///
/// moto checks every signature (`scripts/lib/moto_server.py`): the clients sign with the temporary
/// credentials of the launcher's role, session token and all, as the deployed code does.
struct TestAWS {
    static let httpClient = AWSClient.makeHTTPClient()
    /// Keys for peers that check no signature (misbehaving servers, request shapes); moto refuses them.
    static let credentials = Credentials(accessKeyId: "AKIDTESTING", secretAccessKey: "testing-secret")
    let endpoint: Endpoint
    let client: AWSClient
    /// The role's temporary credentials that `client` signs with: hand them to a child process.
    let roleCredentials: Credentials

    static func moto(retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10))) async throws -> TestAWS {
        at(try await MotoServer.shared.instance(), retry: retry)
    }

    /// Clients for a moto server of the launcher's (a suite's private one).
    static func at(_ moto: MotoServer.Instance, retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10))) -> TestAWS {
        let endpoint = moto.endpoint
        let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.sqs: endpoint, .s3: endpoint, .ecs: endpoint, .sts: endpoint])
        let client = AWSClient(
            configuration: configuration, httpClient: httpClient,
            credentialProvider: StaticCredentialProvider(moto.credentials), retry: retry)
        return TestAWS(endpoint: endpoint, client: client, roleCredentials: moto.credentials)
    }

    var sqs: SQSClient { SQSClient(client: client) }
    var s3: S3Client { S3Client(client: client) }

    /// What boto3, the aws CLI or one of our binaries needs to reach the same server as the same role.
    var pythonEnvironment: [String: String] {
        [
            "AWS_ENDPOINT_URL": endpoint.description, "AWS_ACCESS_KEY_ID": roleCredentials.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": roleCredentials.secretAccessKey, "AWS_SESSION_TOKEN": roleCredentials.sessionToken ?? "",
            "AWS_DEFAULT_REGION": "us-east-1",
        ]
    }

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A new bucket, emptied and deleted after `body`.
    func withBucket<T>(_ body: (String) async throws -> T) async throws -> T {
        let bucket = Self.uniqueName("test")
        try await s3.createBucket(bucket)
        do {
            let result = try await body(bucket)
            try await deleteBucket(bucket)
            return result
        } catch {
            try? await deleteBucket(bucket)
            throw error
        }
    }

    func deleteBucket(_ bucket: String) async throws {
        for object in try await s3.listAllObjects(bucket: bucket) {
            try await s3.deleteObject(bucket: bucket, key: object.key)
        }
        // A DeleteBucket that timed out under load and was retried finds the bucket its first try deleted.
        do {
            try await s3.deleteBucket(bucket)
        } catch {
            if !error.isCode(.noSuchBucket) { throw error }
        }
    }

    /// A new queue, deleted after `body`.
    func withQueue<T>(attributes: [String: String] = [:], _ body: (String) async throws -> T) async throws -> T {
        let url = try await sqs.createQueue(name: Self.uniqueName("test"), attributes: attributes)
        do {
            let result = try await body(url)
            try await deleteQueue(url)
            return result
        } catch {
            try? await sqs.deleteQueue(url: url)
            throw error
        }
    }

    /// Deletes a queue; one already gone is fine: a DeleteQueue that timed out under load and was
    /// retried finds the queue its first try deleted.
    func deleteQueue(_ url: String) async throws {
        do {
            try await sqs.deleteQueue(url: url)
        } catch {
            let gone = error.isCode(.queueDoesNotExist, .nonExistentQueue)
            if !gone { throw error }
        }
    }
}
