import Foundation
import NIOConcurrencyHelpers
import Wishes
import WishesAWS

/// Every key the local cloud has handed out, so its own endpoints can check signatures as AWS
/// checks them: a request signed with a key nobody issued, the wrong secret or the wrong session
/// token is refused.
final class KeyRing: Sendable {
    private let keys = NIOLockedValueBox<[String: Credentials]>([:])

    func add(_ credentials: Credentials) { keys.withLockedValue { $0[credentials.accessKeyId] = credentials } }

    func lookup(_ accessKeyId: String) -> Credentials? { keys.withLockedValue { $0[accessKeyId] } }
}

/// A vendor that remembers what it minted on a key ring.
struct RecordingVendor: CredentialVendor {
    let base: any CredentialVendor
    let ring: KeyRing

    func credentials(session: String, durationSeconds: Int) async throws -> Credentials {
        let minted = try await base.credentials(session: session, durationSeconds: durationSeconds)
        ring.add(minted)
        return minted
    }
}
