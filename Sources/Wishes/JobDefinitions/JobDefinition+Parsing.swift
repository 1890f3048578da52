#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension JobDefinition {
    static let fields: Set<String> = [
        "name", "image", "command", "parameters", "environment", "vcpus", "memory", "attempts", "evaluateOnExit", "timeoutSeconds", "jobRoleArn",
    ]
    /// The fields a definition shares with a wish, checked by the wish's own rules.
    static let wishFields: Set<String> = [
        "command", "parameters", "environment", "vcpus", "memory", "attempts", "evaluateOnExit", "timeoutSeconds", "jobRoleArn",
    ]
    public static let maxImageLength = 255

    /// Parses and checks a registration body; the error lists every problem, not just the first.
    public static func parse(json bytes: [UInt8], now: Date) throws(WishValidationError) -> JobDefinition {
        try parse(object: WishSpec.requestObject(json: bytes, subject: "job definition"), now: now)
    }

    public static func parse(object: [String: JSONValue], now: Date) throws(WishValidationError) -> JobDefinition {
        var problems: [WishValidationError.Problem] = []
        for key in object.keys.sorted() where !fields.contains(key) {
            problems.append(.init(field: key, rule: "unknown field (known: \(fields.sorted().joined(separator: ", ")))"))
        }
        var definition = JobDefinition(name: "", registeredAt: now)
        switch object["name"] {
        case .string(let name)? where JobDefinitionReference.isValidName(name):
            if name == JobDefinition.builtIn.name {
                problems.append(.init(field: "name", rule: "\(name) is the built-in definition; choose another name"))
            }
            definition.name = name
        case nil: problems.append(.init(field: "name", rule: "required: 1 to 128 characters of A-Z, a-z, 0-9, _ and -"))
        default: problems.append(.init(field: "name", rule: "must be 1 to 128 characters of A-Z, a-z, 0-9, _ and -"))
        }
        switch object["image"] {
        case .string(let image)?:
            if let problem = ImageName.problem(image) { problems.append(.init(field: "image", rule: problem)) } else { definition.image = image }
        case nil: problems.append(.init(field: "image", rule: "required: a container image such as public.ecr.aws/docker/library/busybox:1.36"))
        case let other?: problems.append(.init(field: "image", rule: "must be a string, not \(other.typeName)"))
        }
        // The shared fields go through the wish's checks, so a definition can hold nothing a wish
        // would be refused for. Only what was given is kept: the rest stays the wish's to choose.
        // A definition has no wish text, so the wish's "text or command" rule is not its own: the
        // stand-in text keeps a command refused for a bad argument from also naming a `wish` nobody sent.
        var shared = object.filter { wishFields.contains($0.key) }
        shared["wish"] = .string("definition")
        do {
            let checked = try WishSpec.parse(object: shared, now: now, substitutingParameters: false)
            if object["command"] != nil { definition.command = checked.command }
            if object["environment"] != nil { definition.environment = checked.environment }
            if object["vcpus"] != nil || object["memory"] != nil {
                definition.vcpus = checked.vcpus
                definition.memory = checked.memory
            }
            if object["attempts"] != nil { definition.attempts = checked.attempts }
            definition.evaluateOnExit = checked.evaluateOnExit
            definition.timeoutSeconds = checked.timeoutSeconds
            definition.jobRoleArn = checked.jobRoleArn
            definition.parameters = checked.parameters
        } catch {
            problems += error.problems
        }
        if !problems.isEmpty { throw WishValidationError(problems: problems, subject: "job definition") }
        return definition
    }
}

/// A container image reference as ECS takes it: `[registry/]repository[:tag][@sha256:digest]`.
enum ImageName {
    static func problem(_ image: String) -> String? {
        guard !image.isEmpty, image.utf8.count <= JobDefinition.maxImageLength else {
            return "must be 1 to \(JobDefinition.maxImageLength) characters"
        }
        let allowed = image.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "./:_-@".unicodeScalars.contains($0)
        }
        guard allowed, let first = image.unicodeScalars.first, ("a"..."z").contains(first) || ("0"..."9").contains(first) else {
            return "must be an image reference such as public.ecr.aws/docker/library/busybox:1.36 (letters, digits and . / : _ - @)"
        }
        let parts = image.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count > 2 { return "names at most one digest (@sha256:...)" }
        if parts.count == 2 {
            let digest = parts[1]
            guard digest.hasPrefix("sha256:"), digest.count == 71, digest.dropFirst(7).allSatisfy(\.isHexDigit) else {
                return "a digest must be sha256: and 64 hexadecimal digits"
            }
        }
        // The repository is lower case; a registry host (it has a '.' or ':', or is localhost) and a
        // tag (after the last ':' of the last component) may not be.
        var components = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        if components.count > 1, let host = components.first, host.contains(".") || host.contains(":") || host == "localhost" { components.removeFirst() }
        if let last = components.popLast() { components.append(last.split(separator: ":", maxSplits: 1).first ?? last) }
        if components.contains(where: { $0.isEmpty || $0.contains(where: \.isUppercase) }) {
            return "the repository must be lower case, with no empty path part"
        }
        return nil
    }
}
