import Logging
import WishesAWS

/// The service clients over one HTTP client and one credential chain, built from the
/// environment as the SDKs build theirs.
public struct AWSClients: Sendable {
    public let httpClient: HTTPClient
    public let s3: S3Client
    public let sqs: SQSClient
    public let ecs: ECSClient
    public let secretsManager: SecretsManagerClient
    /// For a wish's job role (the task assumes it for the command).
    public let sts: STSClient

    public init(client: AWSClient) {
        httpClient = client.httpClient
        s3 = S3Client(client: client)
        sqs = SQSClient(client: client)
        ecs = ECSClient(client: client)
        secretsManager = SecretsManagerClient(client: client)
        sts = STSClient(client: client)
    }

    public static func fromEnvironment(_ environment: [String: String], httpClient: HTTPClient, logger: Logger) throws -> AWSClients {
        let configuration = try AWSConfiguration.fromEnvironment(environment)
        let credentials = DefaultCredentialProvider.make(environment: environment, httpClient: httpClient)
        return AWSClients(client: AWSClient(configuration: configuration, httpClient: httpClient, credentialProvider: credentials, logger: logger))
    }
}
