import Foundation
import Wishes

/// `application/x-www-form-urlencoded` fields, and the page form turned into the API's JSON object.
enum FormBody {
    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String { String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part) }
            guard let name = parts.first.map(decode) else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    /// The form as a wish, every problem named: the command line's own and the API's checks of the
    /// rest, with the job definition it names looked up.
    static func wishSpec(_ form: [String: String], now: Date, definitions: JobDefinitionStore) async throws -> WishSpec {
        let (object, problems) = wishObject(form)
        let spec: WishSpec
        do {
            spec = try await definitions.wishSpec(from: object, now: now)
        } catch let error as WishValidationError {
            throw WishValidationError(problems: problems + error.problems)
        }
        guard problems.isEmpty else { throw WishValidationError(problems: problems) }
        return spec.withWishText
    }

    /// NAME=value per line, as the environment and parameters fields take them.
    static func pairs(_ lines: String) -> [(String, String)] {
        lines.split(whereSeparator: \.isNewline).map { line in
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]).trimmingCharacters(in: .whitespaces), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// Only filled fields count, so an empty advanced section means the defaults. A command line that
    /// cannot be split is left out of the object and named in the problems instead.
    static func wishObject(_ form: [String: String]) -> (object: [String: JSONValue], problems: [WishValidationError.Problem]) {
        var object: [String: JSONValue] = [:]
        var problems: [WishValidationError.Problem] = []
        func text(_ name: String) -> String? { form[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ name: String) {
            guard let value = text(name) else { return }
            object[name] = Double(value).map(JSONValue.number) ?? .string(value)
        }
        object["wish"] = .string(form["wish"] ?? "")
        if let line = text("command") {
            switch Result(catching: { () throws(ShellWords.Failure) -> [String] in try ShellWords.split(line) }) {
            case .success(let words): object["command"] = .array(words.map(JSONValue.string))
            case .failure(let failure): problems.append(.init(field: "command", rule: failure.description))
            }
        }
        if let queue = text("queue"), queue != WishQueue.default.rawValue { object["queue"] = .string(queue) }
        for name in ["vcpus", "memory", "attempts", "timeoutSeconds", "arraySize"] { number(name) }
        if let ids = text("dependsOn") { object["dependsOn"] = .array(ids.split(whereSeparator: { $0 == "," || $0 == " " }).map { .string(String($0)) }) }
        if let date = text("notBefore") { object["notBefore"] = .string(date) }
        if let url = text("callbackUrl") { object["callbackUrl"] = .string(url) }
        if let lines = text("environment") {
            object["environment"] = .array(pairs(lines).map { .object(["name": .string($0.0), "value": .string($0.1)]) })
        }
        if let name = text("jobDefinition") { object["jobDefinition"] = .string(name) }
        if let lines = text("parameters") {
            object["parameters"] = .object(Dictionary(pairs(lines).map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { _, last in last }))
        }
        if object["command"] != nil || object["jobDefinition"] != nil, (form["wish"] ?? "").isEmpty { object["wish"] = nil }
        return (object, problems)
    }

    /// The registration form as the API's JSON object; only filled fields count.
    static func jobDefinitionObject(_ form: [String: String]) -> (object: [String: JSONValue], problems: [WishValidationError.Problem]) {
        var object: [String: JSONValue] = [:]
        var problems: [WishValidationError.Problem] = []
        func text(_ name: String) -> String? { form[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 } }
        for name in ["name", "image", "jobRoleArn"] { if let value = text(name) { object[name] = .string(value) } }
        for name in ["vcpus", "memory", "attempts", "timeoutSeconds"] {
            if let value = text(name) { object[name] = Double(value).map(JSONValue.number) ?? .string(value) }
        }
        if let line = text("command") {
            switch Result(catching: { () throws(ShellWords.Failure) -> [String] in try ShellWords.split(line) }) {
            case .success(let words): object["command"] = .array(words.map(JSONValue.string))
            case .failure(let failure): problems.append(.init(field: "command", rule: failure.description))
            }
        }
        if let lines = text("environment") {
            object["environment"] = .array(pairs(lines).map { .object(["name": .string($0.0), "value": .string($0.1)]) })
        }
        if let lines = text("parameters") {
            object["parameters"] = .object(Dictionary(pairs(lines).map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { _, last in last }))
        }
        return (object, problems)
    }
}
