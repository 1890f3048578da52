import Foundation
import Wishes
import WishesAWS

/// Mints the temporary credentials the local cloud hands its programs, as Lambda and ECS get
/// theirs from STS: every key carries a session token and an expiry, and none is long-lived.
protocol CredentialVendor: Sendable {
    /// Credentials of the local cloud's role for one session (a function environment, a task, the web).
    func credentials(session: String, durationSeconds: Int) async throws -> Credentials
}

/// STS `AssumeRole` on the local cloud's role, signed with the operator's own key.
struct STSCredentialVendor: CredentialVendor {
    let sts: STSClient
    let roleArn: String

    func credentials(session: String, durationSeconds: Int) async throws -> Credentials {
        try await sts.assumeRole(roleArn: roleArn, sessionName: session, durationSeconds: durationSeconds)
    }
}

/// The operator's own credentials for everyone, when the local cloud runs against an endpoint of
/// the operator's choosing with no role to assume (`WISHES_LOCAL_ROLE_ARN` unset).
struct PassThroughVendor: CredentialVendor {
    let credentials: Credentials

    func credentials(session: String, durationSeconds: Int) async throws -> Credentials { credentials }
}
