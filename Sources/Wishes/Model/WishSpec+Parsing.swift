import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension WishSpec {
    public static let maxWishLength = 1_000
    public static let maxNameLength = 128
    public static let maxDependencies = 20
    public static let maxArraySize = 10_000
    public static let maxEnvironmentVariables = 100
    public static let maxCommandArguments = 100
    /// ECS allows 8,192 characters of overrides in all; the rest is kept for the dispatcher's own variables.
    public static let maxOverrideBytes = 6_144
    public static let maxTimeoutSeconds = 14 * 24 * 3600
    public static let maxNotBeforeHorizon: TimeInterval = 365 * 24 * 3600
    static let reservedPrefixes = ["WISH_", "AWS_BATCH_", "ECS_"]
    static let fields: Set<String> = [
        "wish", "name", "command", "environment", "vcpus", "memory", "queue", "attempts",
        "timeoutSeconds", "arraySize", "dependsOn", "notBefore", "callbackUrl", "evaluateOnExit",
        "jobRoleArn", "jobDefinition", "parameters",
    ]
    public static let maxParameters = 100
    public static let maxParameterValueLength = 4_096

    /// Parses and checks a JSON body; the error lists every problem, not just the first.
    public static func parse(json bytes: [UInt8], now: Date) throws(WishValidationError) -> WishSpec {
        try parse(object: requestObject(json: bytes), now: now)
    }

    /// A request body as the JSON object every check starts from.
    public static func requestObject(json bytes: [UInt8], subject: String = "wish") throws(WishValidationError) -> [String: JSONValue] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            throw WishValidationError(problems: [.init(field: "body", rule: "must be a JSON object")], subject: subject)
        }
        guard case .object(let object) = value else {
            throw WishValidationError(problems: [.init(field: "body", rule: "must be a JSON object, not \(value.typeName)")], subject: subject)
        }
        return object
    }

    /// Checks a wish; with `definition`, the fields the wish leaves out are the definition's
    /// (`JobDefinition.merged`), and the wish records which definition and image it runs.
    public static func parse(
        object request: [String: JSONValue], now: Date, definition: JobDefinition? = nil, substitutingParameters: Bool = true
    ) throws(WishValidationError) -> WishSpec {
        let object = definition?.merged(into: request) ?? request
        var checker = Checker(object: object)
        if definition == nil, object["jobDefinition"] != nil {
            // Only `JobDefinitionStore.wishSpec` resolves a name to a definition: reaching here means a
            // caller skipped it, and the wish must not run in the default image by mistake.
            checker.fail("jobDefinition", "was not looked up; submit the wish through the API")
        }
        for key in object.keys.sorted() where !fields.contains(key) {
            checker.fail(key, "unknown field (known: \(fields.sorted().joined(separator: ", ")))")
        }
        var spec = WishSpec(wish: "")
        if let definition, definition != .builtIn {
            spec.jobDefinition = definition.reference
            spec.image = definition.image
        }
        spec.parameters = checker.parameters()
        var command = checker.command()
        if substitutingParameters, let parameters = spec.parameters, let words = command {
            // Batch's substitution: an argument that is exactly `Ref::name` becomes the parameter's
            // value; one naming no parameter stays as written.
            command = words.map { word in word.hasPrefix("Ref::") ? parameters[String(word.dropFirst(5))] ?? word : word }
        }
        spec.command = command
        if let wish = checker.string("wish", maxLength: maxWishLength) {
            spec.wish = wish
        } else if object["wish"] == nil, command == nil {
            checker.fail("wish", "required unless command is given")
        }
        if let name = checker.string("name", maxLength: maxNameLength) {
            if name.isEmpty
                || !name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") })
            {
                checker.fail("name", "must be 1 to \(maxNameLength) characters of A-Z, a-z, 0-9, _ and -")
            } else {
                spec.name = name
            }
        }
        spec.environment = checker.environment()
        if let overrides = try? JSONEncoder().encode(OverrideSize(command: command, environment: spec.environment)),
            overrides.count > maxOverrideBytes
        {
            checker.fail("command", "command and environment together take \(overrides.count) bytes; ECS overrides allow \(maxOverrideBytes)")
        }
        let vcpus = checker.number("vcpus") ?? defaultVCPUs
        let memory = checker.integer("memory", in: 1...Int.max) ?? defaultMemory
        if let allowed = FargateSize.allowedMemory(vcpus: vcpus) {
            if !allowed.contains(memory) {
                checker.fail(
                    "memory", "\(memory) MiB is not a Fargate size for \(vcpus.decimalText) vCPU; allowed: \(allowed.map(String.init).joined(separator: ", "))")
            }
        } else if object["vcpus"] != nil {
            checker.fail("vcpus", "must be one of Fargate's values: \(FargateSize.table.map { $0.vcpus.decimalText }.joined(separator: ", "))")
        }
        spec.vcpus = vcpus
        spec.memory = memory
        if let queue = checker.string("queue", maxLength: 64) {
            if let value = WishQueue(rawValue: queue) {
                spec.queue = value
            } else {
                checker.fail("queue", "must be one of \(WishQueue.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        spec.attempts = checker.integer("attempts", in: 1...10) ?? 1
        spec.timeoutSeconds = checker.integer("timeoutSeconds", in: 60...maxTimeoutSeconds)
        spec.arraySize = checker.integer("arraySize", in: 2...maxArraySize)
        spec.dependsOn = checker.dependencies(isArray: object["arraySize"] != nil)
        if let text = checker.string("notBefore", maxLength: 64) {
            if let date = RFC3339.parse(text) {
                if date.timeIntervalSince(now) > maxNotBeforeHorizon {
                    checker.fail("notBefore", "must be within a year from now")
                } else {
                    spec.notBefore = date
                }
            } else {
                checker.fail("notBefore", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
            }
        }
        if let url = checker.string("callbackUrl", maxLength: 2048) {
            do {
                // What no stack allows is refused here; loopback, which a local cloud allows, is
                // judged again with the stack's policy (`WishLimits`).
                try CallbackPolicy(allowLoopback: true).judge(CallbackURL.parse(url))
                spec.callbackUrl = url
            } catch {
                checker.fail("callbackUrl", error.description)
            }
        }
        spec.evaluateOnExit = checker.exitRules()
        if let role = checker.string("jobRoleArn", maxLength: JobRole.maxLength) {
            if JobRole.isValid(role) {
                spec.jobRoleArn = role
            } else {
                checker.fail("jobRoleArn", "must be an IAM role ARN such as arn:aws:iam::123456789012:role/my-job")
            }
        }
        if !checker.problems.isEmpty { throw WishValidationError(problems: checker.problems) }
        return spec
    }

    private struct OverrideSize: Encodable {
        var command: [String]?
        var environment: [EnvironmentVariable]?
    }

    /// Reads fields of the right type, recording a problem for each wrong one.
    struct Checker {
        let object: [String: JSONValue]
        var problems: [WishValidationError.Problem] = []

        mutating func fail(_ field: String, _ rule: String) {
            problems.append(.init(field: field, rule: rule))
        }

        mutating func string(_ field: String, maxLength: Int) -> String? {
            switch object[field] {
            case nil: return nil
            case .string(let value):
                guard value.count <= maxLength else {
                    fail(field, "must be at most \(maxLength) characters, not \(value.count)")
                    return nil
                }
                return value
            case let other?:
                fail(field, "must be a string, not \(other.typeName)")
                return nil
            }
        }

        mutating func number(_ field: String) -> Double? {
            switch object[field] {
            case nil: return nil
            case .number(let value): return value
            case let other?:
                fail(field, "must be a number, not \(other.typeName)")
                return nil
            }
        }

        mutating func integer(_ field: String, in range: ClosedRange<Int>) -> Int? {
            guard let value = number(field) else { return nil }
            guard value == value.rounded(), let int = Int(exactly: value), range.contains(int) else {
                let upper = range.upperBound == Int.max ? "" : " to \(range.upperBound)"
                fail(field, "must be a whole number from \(range.lowerBound)\(upper), not \(value.decimalText)")
                return nil
            }
            return int
        }

        mutating func parameters() -> [String: String]? {
            switch object["parameters"] {
            case nil: return nil
            case .object(let pairs):
                guard pairs.count <= WishSpec.maxParameters else {
                    fail("parameters", "must hold at most \(WishSpec.maxParameters) parameters, not \(pairs.count)")
                    return nil
                }
                var result: [String: String] = [:]
                for (name, value) in pairs.sorted(by: { $0.key < $1.key }) {
                    guard JobDefinitionReference.isValidName(name) else {
                        fail("parameters.\(name)", "a parameter name must be 1 to 128 characters of A-Z, a-z, 0-9, _ and -")
                        continue
                    }
                    guard case .string(let text) = value, !text.contains("\0"), text.count <= WishSpec.maxParameterValueLength else {
                        fail("parameters.\(name)", "must be a string of at most \(WishSpec.maxParameterValueLength) characters without NUL")
                        continue
                    }
                    result[name] = text
                }
                return result
            case let other?:
                fail("parameters", "must be an object of string values, not \(other.typeName)")
                return nil
            }
        }

        mutating func command() -> [String]? {
            switch object["command"] {
            case nil: return nil
            case .array(let items):
                guard !items.isEmpty, items.count <= WishSpec.maxCommandArguments else {
                    fail("command", "must hold 1 to \(WishSpec.maxCommandArguments) arguments")
                    return nil
                }
                var result: [String] = []
                for (index, item) in items.enumerated() {
                    guard case .string(let text) = item, !text.isEmpty, !text.contains("\0") else {
                        fail("command[\(index)]", "must be a non-empty string without NUL")
                        continue
                    }
                    result.append(text)
                }
                return result.count == items.count ? result : nil
            case let other?:
                fail("command", "must be an array of strings, not \(other.typeName)")
                return nil
            }
        }

        mutating func environment() -> [EnvironmentVariable]? {
            switch object["environment"] {
            case nil: return nil
            case .array(let items):
                guard items.count <= WishSpec.maxEnvironmentVariables else {
                    fail("environment", "must hold at most \(WishSpec.maxEnvironmentVariables) variables")
                    return nil
                }
                var result: [EnvironmentVariable] = []
                var seen: Set<String> = []
                for (index, item) in items.enumerated() {
                    let field = "environment[\(index)]"
                    guard case .object(let pair) = item, case .string(let name)? = pair["name"],
                        case .string(let value)? = pair["value"], pair.count == 2
                    else {
                        // The value is never echoed back: it may be a secret.
                        fail(field, "must be an object with string fields name and value")
                        continue
                    }
                    if !EnvironmentName.isValid(name) {
                        fail("\(field).name", "must match [A-Za-z_][A-Za-z0-9_]* and be at most 256 characters")
                    } else if let prefix = WishSpec.reservedPrefixes.first(where: { name.hasPrefix($0) }) {
                        fail("\(field).name", "names starting with \(prefix) are reserved for the system")
                    } else if !seen.insert(name).inserted {
                        fail("\(field).name", "\(name) is given twice")
                    } else if value.contains("\0") {
                        fail("\(field).value", "must not contain NUL")
                    } else {
                        result.append(EnvironmentVariable(name: name, value: value))
                    }
                }
                return result
            case let other?:
                fail("environment", "must be an array of {name, value} objects, not \(other.typeName)")
                return nil
            }
        }

        mutating func exitRules() -> [ExitRule]? {
            switch object["evaluateOnExit"] {
            case nil: return nil
            case .array(let items):
                guard items.count <= ExitRule.maxRules else {
                    fail("evaluateOnExit", "must hold at most \(ExitRule.maxRules) rules, not \(items.count)")
                    return nil
                }
                var rules: [ExitRule] = []
                for (index, item) in items.enumerated() {
                    let field = "evaluateOnExit[\(index)]"
                    guard case .object(let rule) = item else {
                        fail(field, "must be an object")
                        continue
                    }
                    var parsed = ExitRule(action: .retry)
                    for key in rule.keys.sorted() where !["onExitCode", "onReason", "onStatusReason", "action"].contains(key) {
                        fail("\(field).\(key)", "unknown field (known: action, onExitCode, onReason, onStatusReason)")
                    }
                    switch rule["action"] {
                    case .string(let action)?:
                        if let value = ExitRule.Action(rawValue: action.uppercased()) {
                            parsed.action = value
                        } else {
                            fail("\(field).action", "must be RETRY or EXIT")
                        }
                    default: fail("\(field).action", "required: RETRY or EXIT")
                    }
                    func pattern(_ key: String) -> String? {
                        guard let value = rule[key] else { return nil }
                        guard case .string(let text) = value, !text.isEmpty, text.count <= ExitRule.maxPatternLength else {
                            fail("\(field).\(key)", "must be a pattern of 1 to \(ExitRule.maxPatternLength) characters")
                            return nil
                        }
                        return text
                    }
                    parsed.onExitCode = pattern("onExitCode")
                    parsed.onReason = pattern("onReason")
                    parsed.onStatusReason = pattern("onStatusReason")
                    if let code = parsed.onExitCode, !code.dropLast(code.hasSuffix("*") ? 1 : 0).allSatisfy(\.isNumber) {
                        fail("\(field).onExitCode", "must be digits, optionally ending in *")
                    }
                    rules.append(parsed)
                }
                return rules
            case let other?:
                fail("evaluateOnExit", "must be an array of rules, not \(other.typeName)")
                return nil
            }
        }

        /// `isArray`: whether the wish names an `arraySize` (a wrong one is refused on its own).
        mutating func dependencies(isArray: Bool) -> [WishDependency]? {
            switch object["dependsOn"] {
            case nil: return nil
            case .array(let items):
                guard items.count <= WishSpec.maxDependencies else {
                    fail("dependsOn", "must name at most \(WishSpec.maxDependencies) wishes, not \(items.count)")
                    return nil
                }
                var dependencies: [WishDependency] = []
                for (index, item) in items.enumerated() {
                    let field = "dependsOn[\(index)]"
                    guard let dependency = dependency(item, field: field, isArray: isArray) else { continue }
                    if let id = dependency.id, dependencies.contains(where: { $0.id == id }) {
                        fail(field, "\(id) is named twice")
                    } else if dependency.type == .sequential, dependencies.contains(where: { $0.type == .sequential }) {
                        fail("\(field).type", "SEQUENTIAL is given twice; one orders the children")
                    } else {
                        dependencies.append(dependency)
                    }
                }
                return dependencies
            case let other?:
                fail("dependsOn", "must be an array of wish ids or {jobId, type} objects, not \(other.typeName)")
                return nil
            }
        }

        /// A plain id, or AWS Batch's `{"jobId": ..., "type": ...}`.
        mutating func dependency(_ item: JSONValue, field: String, isArray: Bool) -> WishDependency? {
            if case .string(let text) = item {
                guard let id = WishID(text) else {
                    fail(field, "must be a wish id")
                    return nil
                }
                return .whole(id)
            }
            guard case .object(let fields) = item else {
                fail(field, "must be a wish id or a {jobId, type} object, not \(item.typeName)")
                return nil
            }
            var valid = true
            for key in fields.keys.sorted() where key != "jobId" && key != "type" {
                fail("\(field).\(key)", "unknown field (known: jobId, type)")
                valid = false
            }
            var id: WishID?
            if let value = fields["jobId"] {
                if case .string(let text) = value, let parsed = WishID(text) {
                    id = parsed
                } else {
                    fail("\(field).jobId", "must be a wish id")
                    valid = false
                }
            }
            var type: WishDependency.Kind?
            if let value = fields["type"] {
                if case .string(let text) = value, let parsed = WishDependency.Kind(rawValue: text) {
                    type = parsed
                } else {
                    fail("\(field).type", "must be N_TO_N or SEQUENTIAL")
                    valid = false
                }
            }
            guard valid else { return nil }
            switch (id, type) {
            case (nil, nil):
                fail("\(field).jobId", "required, unless type is SEQUENTIAL")
            case (_, let type?) where !isArray:
                fail("\(field).type", "\(type.rawValue) is for array wishes: this wish has no arraySize")
            case (_?, .sequential?):
                fail("\(field).jobId", "not allowed with SEQUENTIAL, which orders this array's own children")
            case (nil, .nToN?):
                fail("\(field).jobId", "required with N_TO_N: the array whose child i each child i waits for")
            default:
                return WishDependency(id: id, type: type)
            }
            return nil
        }
    }
}

enum EnvironmentName {
    static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 256 else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { ("A"..."Z").contains(c) || ("a"..."z").contains(c) || c == "_" }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }
}
