import WishesAWS

/// A wish's job role (`jobRoleArn`): the IAM role whose temporary keys its command gets, the way an
/// AWS Batch job definition names a `jobRoleArn`. Only roles the stack lists in
/// `WISHES_JOB_ROLE_ARNS` may be named, and the task role may assume only those.
public enum JobRole {
    /// IAM's limit for a role ARN.
    public static let maxLength = 2_048

    /// `arn:<partition>:iam::<12 digits>:role/<path/>name`: a partition of `aws` and its
    /// `aws-*` siblings, no region, a role name of IAM's characters (1 to 64), and a path of printable
    /// ASCII segments (at most 512 characters with its slashes).
    public static func isValid(_ arn: String) -> Bool {
        guard arn.utf8.count <= maxLength else { return false }
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[3].isEmpty else { return false }
        let partition = parts[1]
        guard
            partition == "aws"
                || (partition.hasPrefix("aws-") && partition.count > 4
                    && partition.dropFirst(4).allSatisfy({ ($0.isASCII && $0.isLowercase) || $0 == "-" }))
        else { return false }
        guard parts[4].count == 12, parts[4].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        guard parts[5].hasPrefix("role/") else { return false }
        let rest = parts[5].dropFirst("role/".count)
        let segments = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard let name = segments.last, (1...64).contains(name.count),
            name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+=,.@_-".unicodeScalars.contains($0)) })
        else { return false }
        let path = segments.dropLast()
        // The path as IAM writes it: "/" alone, or "/a/b/" (the slashes around the segments count).
        guard path.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) } }),
            path.reduce(1, { $0 + $1.count + 1 }) <= 512
        else { return false }
        return true
    }

    /// `WISHES_JOB_ROLE_ARNS`, comma separated: the roles a wish may name.
    static func list(_ text: String?) throws(SettingsError) -> [String] {
        let roles = (text ?? "").split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        if let bad = roles.first(where: { !isValid($0) }) {
            throw .invalid("WISHES_JOB_ROLE_ARNS", "must be IAM role ARNs (arn:aws:iam::123456789012:role/name), comma separated; '\(bad)' is not one")
        }
        return roles
    }

    /// The STS session name of one attempt: `wish-<id>[-<index>]-<attempt>`, in STS's characters and
    /// length (2 to 64 of letters, digits and `_+=,.@-`), so CloudTrail names the wish that used the role.
    public static func sessionName(subject: WishSubject, attempt: Int) -> String {
        var name = "wish-\(subject.id.rawValue)"
        if let index = subject.arrayIndex { name += "-\(index)" }
        name += "-\(attempt)"
        let allowed = name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_+=,.@-".unicodeScalars.contains(scalar))
                ? Character(scalar) : "-"
        }
        return String(String(allowed).prefix(64))
    }
}
