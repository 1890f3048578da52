/// Secrets Manager over AWS JSON 1.1: the one read Wishes needs, a secret's current value.
public struct SecretsManagerClient: Sendable {
    public let client: AWSClient
    let json = AWSJSONProtocol(
        service: .secretsmanager, targetPrefix: "secretsmanager",
        contentType: "application/x-amz-json-1.1")

    public init(client: AWSClient) {
        self.client = client
    }

    /// The request exactly as it would be sent, for checking it against the service model.
    public func request(_ operation: String, _ input: some Encodable) throws(AWSClientError)
        -> AWSRequest
    {
        try json.request(operation, input)
    }

    /// The current (`AWSCURRENT`) string value of a secret, by ARN or name.
    public func getSecretString(_ secretID: String) async throws(AWSClientError) -> String {
        struct Input: Encodable { var SecretId: String }
        struct Output: Decodable { var SecretString: String? }
        let output = try await json.call(
            client, "GetSecretValue", Input(SecretId: secretID), as: Output.self)
        guard let value = output.SecretString else {
            throw .invalidResponse(
                service: .secretsmanager, operation: "GetSecretValue",
                reason: "secret \(secretID) has no string value (a binary secret cannot sign callbacks)")
        }
        return value
    }

    /// Creates a secret and returns its ARN; an existing one of that name keeps its value and its
    /// ARN is returned. The local cloud makes its callback key so, as the stack does in AWS.
    package func createSecret(name: String, value: String) async throws(AWSClientError) -> String {
        struct Input: Encodable {
            var Name: String
            var SecretString: String
        }
        struct Output: Decodable { var ARN: String }
        do {
            return try await json.call(
                client, "CreateSecret", Input(Name: name, SecretString: value), as: Output.self
            ).ARN
        } catch  where error.isCode(.resourceExists) {
            struct Describe: Encodable { var SecretId: String }
            return try await json.call(
                client, "DescribeSecret", Describe(SecretId: name), as: Output.self
            ).ARN
        }
    }
}
