#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// STS's rules and shapes, as the Query protocol carries them.
public enum STS {
    /// Why a request was refused before it was sent.
    public enum InputError: Error, Equatable, CustomStringConvertible {
        case sessionName(String)
        case duration(Int)

        public var description: String {
            switch self {
            case .sessionName(let name):
                "RoleSessionName '\(name)' must be 2 to 64 characters of letters, digits and _+=,.@-"
            case .duration(let seconds):
                "DurationSeconds \(seconds) is outside 900...43200 (and a role allows 1 hour unless its MaxSessionDuration says more)"
            }
        }
    }

    static func check(sessionName: String, durationSeconds: Int?) throws(AWSClientError) {
        let allowed = sessionName.unicodeScalars.allSatisfy {
            $0.isASCII && ((("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)) || "_+=,.@-".unicodeScalars.contains($0))
        }
        if !(2...64).contains(sessionName.count) || !allowed {
            throw .service(
                AWSServiceError(
                    service: .sts, operation: "AssumeRole", code: "ValidationError",
                    message: InputError.sessionName(sessionName).description, statusCode: 400))
        }
        if let durationSeconds, !(900...43_200).contains(durationSeconds) {
            throw .service(
                AWSServiceError(
                    service: .sts, operation: "AssumeRole", code: "ValidationError",
                    message: InputError.duration(durationSeconds).description, statusCode: 400))
        }
    }

    /// What an answer lacked.
    struct MissingField: Error, CustomStringConvertible {
        var name: String
        var description: String { "the answer has no \(name)" }
    }

    /// `<AssumeRoleResponse><AssumeRoleResult><Credentials>` (the same inside every operation that
    /// hands out credentials).
    static func credentials(from tree: XMLTree) throws -> Credentials {
        guard let result = tree.children.first(where: { $0.name.hasSuffix("Result") }) else { throw MissingField(name: "…Result element") }
        guard let credentials = result.child("Credentials") else { throw MissingField(name: "Credentials") }
        func field(_ name: String) throws -> String {
            guard let value = credentials.child(name)?.text, !value.isEmpty else { throw MissingField(name: "Credentials.\(name)") }
            return value
        }
        let expiration = try field("Expiration")
        guard
            let expires = (try? Date(expiration, strategy: .iso8601))
                ?? (try? Date(expiration, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        else {
            throw MissingField(name: "an ISO 8601 Expiration (got \(expiration))")
        }
        return Credentials(
            accessKeyId: try field("AccessKeyId"), secretAccessKey: try field("SecretAccessKey"),
            sessionToken: try field("SessionToken"), expiration: expires)
    }
}
