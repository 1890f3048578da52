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

    /// Only filled fields count, so an empty advanced section means the defaults.
    static func wishObject(_ form: [String: String]) -> [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        func text(_ name: String) -> String? { form[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ name: String) {
            guard let value = text(name) else { return }
            object[name] = Double(value).map(JSONValue.number) ?? .string(value)
        }
        object["wish"] = .string(form["wish"] ?? "")
        if let command = text("command") { object["command"] = .array(command.split(separator: " ").map { .string(String($0)) }) }
        if let queue = text("queue"), queue != WishQueue.default.rawValue { object["queue"] = .string(queue) }
        for name in ["vcpus", "memory", "attempts", "timeoutSeconds", "arraySize"] { number(name) }
        if let ids = text("dependsOn") { object["dependsOn"] = .array(ids.split(whereSeparator: { $0 == "," || $0 == " " }).map { .string(String($0)) }) }
        if let date = text("notBefore") { object["notBefore"] = .string(date) }
        if let url = text("callbackUrl") { object["callbackUrl"] = .string(url) }
        if let lines = text("environment") {
            object["environment"] = .array(lines.split(whereSeparator: \.isNewline).map { line in
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return .object(["name": .string(String(parts[0]).trimmingCharacters(in: .whitespaces)), "value": .string(parts.count > 1 ? String(parts[1]) : "")])
            })
        }
        if object["command"] != nil, (form["wish"] ?? "").isEmpty { object["wish"] = nil }
        return object
    }
}
