import Foundation
import Wishes
import WishesAWS

/// ECS's container credentials endpoint, as the agent serves it: one path and authorization token
/// per task, credentials with an expiry, rotated before they expire, gone when the task stops.
///
/// Locally the endpoint is `AWS_CONTAINER_CREDENTIALS_FULL_URI` on loopback with
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN` (169.254.170.2 is not reachable here), the form the SDKs
/// accept for ECS Anywhere and EKS; no static key ever reaches a task's environment.
actor ContainerCredentials {
    struct Grant {
        var session: String
        var token: String
        var current: Credentials?
    }

    enum Answer {
        case credentials(Credentials)
        case unknown
        case unauthorized
    }

    let vendor: any CredentialVendor
    /// What STS mints: its shortest session, so rotation happens within any long task.
    let durationSeconds: Int
    /// Rotated when fewer seconds than this are left, as the agent refreshes well before expiry.
    let rotateWithin: TimeInterval
    private var grants: [String: Grant] = [:]

    init(vendor: any CredentialVendor, durationSeconds: Int = 900, rotateWithin: TimeInterval = 600) {
        self.vendor = vendor
        self.durationSeconds = durationSeconds
        self.rotateWithin = rotateWithin
    }

    /// A new path id and token for `session`: what goes into the task's environment.
    func grant(session: String) -> (id: String, token: String) {
        let id = RandomToken.hex(16)
        let token = RandomToken.hex(32)
        grants[id] = Grant(session: session, token: token)
        return (id, token)
    }

    func revoke(_ id: String) { grants[id] = nil }

    func answer(id: String, authorization: String?) async throws -> Answer {
        guard let grant = grants[id] else { return .unknown }
        guard let authorization, Fingerprint.constantTimeEqual(authorization, grant.token) else { return .unauthorized }
        if let current = grant.current, !current.expires(within: rotateWithin, of: Date()) { return .credentials(current) }
        let fresh = try await vendor.credentials(session: String(grant.session.prefix(64)), durationSeconds: durationSeconds)
        grants[id]?.current = fresh
        return .credentials(fresh)
    }
}
