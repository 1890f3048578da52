/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`: what Lambda sets for its role.
public struct EnvironmentCredentialProvider: CredentialProvider {
    let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// True when the environment names at least one of the keys, so this source is the one meant.
    public var isConfigured: Bool {
        environment["AWS_ACCESS_KEY_ID"] != nil || environment["AWS_SECRET_ACCESS_KEY"] != nil
    }

    public func credentials() throws -> Credentials {
        guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty else {
            throw CredentialError.incomplete(source: "the environment", missing: "AWS_ACCESS_KEY_ID")
        }
        guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw CredentialError.incomplete(source: "the environment", missing: "AWS_SECRET_ACCESS_KEY")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return Credentials(accessKeyId: key, secretAccessKey: secret, sessionToken: token)
    }
}
