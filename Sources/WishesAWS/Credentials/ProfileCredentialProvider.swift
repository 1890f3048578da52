#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A named profile from the shared files (`~/.aws/credentials`, then `~/.aws/config`), as the CLI reads them.
public struct ProfileCredentialProvider: CredentialProvider {
    public let profile: String
    let credentialsFile: String
    let configFile: String

    public init(environment: [String: String]) {
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        profile = environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"] ?? "default"
        credentialsFile = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        configFile = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
    }

    /// The profile's keys, or nil when neither file has a section for it.
    func section() -> [String: String]? {
        if let text = try? String(contentsOfFile: credentialsFile, encoding: .utf8),
            let section = Self.parse(text)[profile]
        {
            return section
        }
        if let text = try? String(contentsOfFile: configFile, encoding: .utf8) {
            let sections = Self.parse(text)
            return sections["profile \(profile)"] ?? (profile == "default" ? sections["default"] : nil)
        }
        return nil
    }

    public func credentials() throws -> Credentials {
        guard let section = section() else {
            throw CredentialError.profileNotFound(profile: profile, file: credentialsFile)
        }
        let source = "profile '\(profile)'"
        guard let key = section["aws_access_key_id"], !key.isEmpty else {
            throw CredentialError.incomplete(source: source, missing: "aws_access_key_id")
        }
        guard let secret = section["aws_secret_access_key"], !secret.isEmpty else {
            throw CredentialError.incomplete(source: source, missing: "aws_secret_access_key")
        }
        return Credentials(accessKeyId: key, secretAccessKey: secret, sessionToken: section["aws_session_token"])
    }

    /// INI as the AWS files use it: `[section]`, `key = value`, `#` and `;` comments.
    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingSpaces()
                current = name
                sections[name, default: [:]] = sections[name, default: [:]]
            } else if let current, let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingSpaces().lowercased()
                let value = line[line.index(after: equals)...].trimmingSpaces()
                sections[current]?[key] = value
            }
        }
        return sections
    }
}
