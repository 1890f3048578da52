#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// STS over the Query protocol (a form-encoded POST, an XML answer): temporary credentials for a role,
/// as Lambda and Fargate hand them to their code (an `ASIA…` key, a secret, a session token, an expiry).
public struct STSClient: Sendable {
    public let client: AWSClient
    static let apiVersion = "2011-06-15"

    public init(client: AWSClient) {
        self.client = client
    }

    /// The role's temporary credentials. STS takes 900 seconds up to the role's maximum session
    /// (1 hour unless the role says up to 12); nil asks for its default, one hour.
    public func assumeRole(roleArn: String, sessionName: String, durationSeconds: Int? = nil) async throws(AWSClientError) -> Credentials {
        try STS.check(sessionName: sessionName, durationSeconds: durationSeconds)
        var parameters = [("Action", "AssumeRole"), ("Version", Self.apiVersion), ("RoleArn", roleArn), ("RoleSessionName", sessionName)]
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let response = try await client.send(Self.request("AssumeRole", parameters))
        do {
            let tree = try XMLTree.parse(response.body)
            return try STS.credentials(from: tree)
        } catch {
            throw .invalidResponse(service: .sts, operation: "AssumeRole", reason: "\(error)")
        }
    }

    /// A Query-protocol call: the parameters form-encoded in the body. SigV4's encoding is a valid
    /// form encoding (space as `%20`), so the body reads the same to every server.
    static func request(_ operation: String, _ parameters: [(String, String)]) -> AWSRequest {
        AWSRequest(
            service: .sts, operation: operation, method: "POST", path: "/",
            headers: [.init("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Array(URIEncoding.query(parameters.map { (name: $0.0, value: $0.1) }).utf8))
    }
}
