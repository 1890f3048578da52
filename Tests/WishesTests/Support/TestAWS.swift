import AsyncHTTPClient
import Foundation
import Logging
import Wishes

/// Clients pointed at the shared moto server, with names no other test uses.
struct TestAWS {
    static let httpClient = AWSClient.makeHTTPClient()
    static let credentials = Credentials(accessKeyId: "AKIDTESTING", secretAccessKey: "testing-secret")
    let endpoint: Endpoint
    let client: AWSClient

    static func moto(retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10))) async throws -> TestAWS {
        at(try await MotoServer.shared.endpoint(), retry: retry)
    }

    /// Clients for a moto server at `endpoint` (a suite's private one).
    static func at(_ endpoint: Endpoint, retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10))) -> TestAWS {
        let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.sqs: endpoint, .s3: endpoint, .ecs: endpoint])
        let client = AWSClient(configuration: configuration, httpClient: httpClient,
                               credentialProvider: StaticCredentialProvider(credentials), retry: retry)
        return TestAWS(endpoint: endpoint, client: client)
    }

    /// Clients for the local cloud's moto and its Fargate stand-in.
    static func endpoint(_ url: String, ecs: String) async throws -> AWSClients {
        guard let endpoint = Endpoint(url: url), let ecsEndpoint = Endpoint(url: ecs) else { throw TestError("bad endpoints \(url), \(ecs)") }
        let configuration = AWSConfiguration(region: "us-east-1", endpoints: [.sqs: endpoint, .s3: endpoint, .ecs: ecsEndpoint])
        return AWSClients(client: AWSClient(configuration: configuration, httpClient: httpClient, credentialProvider: StaticCredentialProvider(credentials)))
    }

    var sqs: SQSClient { SQSClient(client: client) }
    var s3: S3Client { S3Client(client: client) }

    /// What boto3 needs to reach the same server.
    var pythonEnvironment: [String: String] {
        ["AWS_ENDPOINT_URL": endpoint.description, "AWS_ACCESS_KEY_ID": Self.credentials.accessKeyId,
         "AWS_SECRET_ACCESS_KEY": Self.credentials.secretAccessKey, "AWS_DEFAULT_REGION": "us-east-1"]
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
        try await s3.deleteBucket(bucket)
    }

    /// A new queue, deleted after `body`.
    func withQueue<T>(attributes: [String: String] = [:], _ body: (String) async throws -> T) async throws -> T {
        let url = try await sqs.createQueue(name: Self.uniqueName("test"), attributes: attributes)
        do {
            let result = try await body(url)
            try await sqs.deleteQueue(url: url)
            return result
        } catch {
            try? await sqs.deleteQueue(url: url)
            throw error
        }
    }
}
