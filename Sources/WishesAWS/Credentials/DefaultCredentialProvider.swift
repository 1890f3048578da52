/// The SDKs' provider chain: environment, then the shared profile files, then the ECS task role.
///
/// The source is chosen once, from what the environment names, and then cached and refreshed.
public enum DefaultCredentialProvider {
    public static func make(environment: [String: String], httpClient: HTTPClient) -> any CredentialProvider {
        CachingCredentialProvider(Chain(environment: environment, httpClient: httpClient))
    }

    struct Chain: CredentialProvider {
        let environment: [String: String]
        let httpClient: HTTPClient

        func credentials() async throws -> Credentials {
            let env = EnvironmentCredentialProvider(environment: environment)
            if env.isConfigured { return try env.credentials() }
            let profile = ProfileCredentialProvider(environment: environment)
            if environment["AWS_PROFILE"] != nil || profile.section() != nil { return try profile.credentials() }
            if let container = ContainerCredentialProvider(environment: environment, httpClient: httpClient) {
                return try await container.credentials()
            }
            throw CredentialError.notFound(tried: ["environment", "profile '\(profile.profile)'", "ECS container endpoint"])
        }
    }
}

/// Fixed credentials, for tests and the local cloud.
public struct StaticCredentialProvider: CredentialProvider {
    let value: Credentials
    public init(_ value: Credentials) { self.value = value }
    public func credentials() -> Credentials { value }
}
