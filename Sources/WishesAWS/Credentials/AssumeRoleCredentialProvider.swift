/// A role's temporary credentials from STS, fetched anew on every call: wrap it in
/// `CachingCredentialProvider`, which asks again a few minutes before they expire.
public struct AssumeRoleCredentialProvider: CredentialProvider {
    public let sts: STSClient
    public let roleArn: String
    public let sessionName: String
    public let durationSeconds: Int?

    /// - Parameter sts: a client signed with credentials that the role trusts.
    public init(sts: STSClient, roleArn: String, sessionName: String, durationSeconds: Int? = nil) {
        self.sts = sts
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.durationSeconds = durationSeconds
    }

    public func credentials() async throws -> Credentials {
        do {
            return try await sts.assumeRole(roleArn: roleArn, sessionName: sessionName, durationSeconds: durationSeconds)
        } catch {
            throw CredentialError.invalidResponse(source: "sts:AssumeRole on \(roleArn)", reason: error.description)
        }
    }
}
