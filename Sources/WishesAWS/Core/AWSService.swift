/// The services Wishes calls, with the names that endpoints, signing and environment variables use.
public enum AWSService: String, Sendable, CaseIterable {
    case sqs, s3, ecs, sts, secretsmanager

    /// The suffix of `AWS_ENDPOINT_URL_<ID>`: the SDK service id, upper-cased, spaces as underscores.
    var environmentID: String {
        switch self {
        case .secretsmanager: "SECRETS_MANAGER"
        default: rawValue.uppercased()
        }
    }

    var signingName: String { rawValue }
}
