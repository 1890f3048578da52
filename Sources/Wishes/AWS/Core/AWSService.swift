/// The services Wishes calls, with the names that endpoints, signing and environment variables use.
public enum AWSService: String, Sendable, CaseIterable {
    case sqs, s3, ecs, sts

    /// The suffix of `AWS_ENDPOINT_URL_<ID>`, as every SDK reads it.
    var environmentID: String { rawValue.uppercased() }
    var signingName: String { rawValue }
}
