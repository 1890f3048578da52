#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A job definition as AWS Batch users know it: a named, revisioned template for wishes. A wish
/// that names one takes every field it does not set itself from the definition.
public struct JobDefinition: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case active = "ACTIVE"
        /// Deregistered: still readable, no longer usable by a new wish.
        case inactive = "INACTIVE"
    }

    public var name: String
    /// 1 for the first registration of a name, one more for each after it.
    public var revision: Int
    public var status: Status
    /// The container image the command runs in; nil is Wishes' own image (the built-in definition).
    public var image: String?
    public var command: [String]?
    /// Defaults for `Ref::name` placeholders in the command; a wish's `parameters` override them.
    public var parameters: [String: String]?
    /// Shown by describe, as Batch shows a definition's environment: values a wish must keep to
    /// itself belong in the wish's own `environment`, which is never shown.
    public var environment: [WishSpec.EnvironmentVariable]?
    public var vcpus: Double?
    public var memory: Int?
    public var attempts: Int?
    public var evaluateOnExit: [ExitRule]?
    public var timeoutSeconds: Int?
    public var jobRoleArn: String?
    public var registeredAt: Date?
    public var deregisteredAt: Date?

    public init(
        name: String, revision: Int = 0, status: Status = .active, image: String? = nil, command: [String]? = nil,
        parameters: [String: String]? = nil, environment: [WishSpec.EnvironmentVariable]? = nil, vcpus: Double? = nil, memory: Int? = nil,
        attempts: Int? = nil, evaluateOnExit: [ExitRule]? = nil, timeoutSeconds: Int? = nil, jobRoleArn: String? = nil,
        registeredAt: Date? = nil, deregisteredAt: Date? = nil
    ) {
        self.name = name
        self.revision = revision
        self.status = status
        self.image = image
        self.command = command
        self.parameters = parameters
        self.environment = environment
        self.vcpus = vcpus
        self.memory = memory
        self.attempts = attempts
        self.evaluateOnExit = evaluateOnExit
        self.timeoutSeconds = timeoutSeconds
        self.jobRoleArn = jobRoleArn
        self.registeredAt = registeredAt
        self.deregisteredAt = deregisteredAt
    }

    /// `name:revision`, as a wish names it and Batch's ARN ends.
    public var reference: String { "\(name):\(revision)" }

    /// What a wish that names no definition runs: Wishes' own image, counting to three unless the
    /// wish gives a command. It cannot be registered over or deregistered.
    public static let builtIn = JobDefinition(
        name: "count-to-three", revision: 1, status: .active, vcpus: WishSpec.defaultVCPUs, memory: WishSpec.defaultMemory, attempts: 1,
        registeredAt: Date(timeIntervalSince1970: 0))

    /// The wish fields a definition sets, with their JSON values: the defaults a wish's own fields override.
    var wishDefaults: [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        if let command { object["command"] = .array(command.map(JSONValue.string)) }
        if let environment {
            object["environment"] = .array(environment.map { .object(["name": .string($0.name), "value": .string($0.value ?? "")]) })
        }
        if let vcpus { object["vcpus"] = .number(vcpus) }
        if let memory { object["memory"] = .number(Double(memory)) }
        if let attempts { object["attempts"] = .number(Double(attempts)) }
        if let evaluateOnExit, let encoded = try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(evaluateOnExit)) {
            object["evaluateOnExit"] = encoded
        }
        if let timeoutSeconds { object["timeoutSeconds"] = .number(Double(timeoutSeconds)) }
        if let jobRoleArn { object["jobRoleArn"] = .string(jobRoleArn) }
        if let parameters { object["parameters"] = .object(parameters.mapValues(JSONValue.string)) }
        return object
    }

    /// A wish's request with this definition's fields under it: the wish's own fields win, its
    /// environment is laid over the definition's by name, and its parameters over the defaults.
    public func merged(into request: [String: JSONValue]) -> [String: JSONValue] {
        var merged = wishDefaults
        for (key, value) in request where key != "environment" && key != "parameters" { merged[key] = value }
        if case .array(let own)? = request["environment"], case .array(let inherited)? = merged["environment"] {
            let ownNames = Set(
                own.compactMap { item -> String? in if case .object(let pair) = item, case .string(let name)? = pair["name"] { name } else { nil } })
            let kept = inherited.filter { item in
                if case .object(let pair) = item, case .string(let name)? = pair["name"] { !ownNames.contains(name) } else { true }
            }
            merged["environment"] = .array(kept + own)
        } else if let own = request["environment"] {
            merged["environment"] = own
        }
        if case .object(let own)? = request["parameters"], case .object(let inherited)? = merged["parameters"] {
            merged["parameters"] = .object(inherited.merging(own) { _, wish in wish })
        } else if let own = request["parameters"] {
            merged["parameters"] = own
        }
        merged["jobDefinition"] = nil
        return merged
    }
}

/// How a wish or a path names a definition: `name` (its latest active revision) or `name:revision`.
public struct JobDefinitionReference: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var revision: Int?

    public init(name: String, revision: Int? = nil) {
        self.name = name
        self.revision = revision
    }

    /// Also takes the ARN Batch users copy around (`arn:aws:batch:...:job-definition/name:3`).
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("arn:"), let slash = text.firstIndex(of: "/") { text = text[text.index(after: slash)...] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), JobDefinitionReference.isValidName(parts[0]) else { return nil }
        name = String(parts[0])
        if parts.count == 2 {
            // Digits only: `Int` also reads `+2`, which would give one revision a second spelling.
            guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(parts[1]), number >= 1 else { return nil }
            revision = number
        }
    }

    public var description: String { revision.map { "\(name):\($0)" } ?? name }

    public static let maxNameLength = 128

    /// Batch's rule: 1 to 128 letters, digits, hyphens and underscores.
    public static func isValidName(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && name.count <= maxNameLength
            && name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }
}
