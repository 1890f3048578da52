#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An access key pair, with the session token and expiry of temporary credentials.
///
/// `description` never shows the secret or the token, so credentials can be logged by accident safely.
public struct Credentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    public var description: String {
        "Credentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
    }

    /// True when the credentials expire within `margin` of `now`.
    public func expires(within margin: TimeInterval, of now: Date) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) < margin
    }
}

/// Where credentials come from: the seam the SDKs' provider chain is built on.
public protocol CredentialProvider: Sendable {
    func credentials() async throws -> Credentials
    /// AWS said the keys are expired (`ExpiredToken`) before their stated expiry: forget them.
    func invalidate()
}

extension CredentialProvider {
    public func invalidate() {}
}

/// Why no credentials could be had, and what to set.
public enum CredentialError: Error, Equatable, CustomStringConvertible {
    case notFound(tried: [String])
    case incomplete(source: String, missing: String)
    case profileNotFound(profile: String, file: String)
    case containerEndpoint(String)
    case invalidResponse(source: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let tried):
            "no AWS credentials found (tried \(tried.joined(separator: ", "))): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a task role"
        case .incomplete(let source, let missing):
            "AWS credentials from \(source) are incomplete: \(missing) is missing"
        case .profileNotFound(let profile, let file):
            "AWS profile '\(profile)' is not in \(file)"
        case .containerEndpoint(let reason):
            "the ECS container credentials endpoint failed: \(reason)"
        case .invalidResponse(let source, let reason):
            "\(source) returned unusable credentials: \(reason)"
        }
    }
}
