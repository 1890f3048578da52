import Foundation
import Wishes
import WishesAWS

/// An EventBridge event pattern, as far as the template's rules use it: every field named must be
/// present, a list matches when the event's value (or one of its values) equals one of its
/// entries or fits one of its filters (`prefix`, `exists`), an object matches field by field.
/// Events the pattern does not match are not delivered, as in AWS.
struct EventPattern: Sendable {
    let root: JSONValue

    init(json: String) throws {
        root = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        guard case .object = root else { throw LocalCloudError.invalidEventPattern(json) }
    }

    func matches(_ event: JSONValue) -> Bool { Self.matches(root, event) }

    // A field the event lacks matches only `{"exists": false}`; the template uses none.

    static func matches(_ pattern: JSONValue, _ value: JSONValue) -> Bool {
        switch pattern {
        case .object(let fields):
            guard case .object(let object) = value else { return false }
            return fields.allSatisfy { name, sub in object[name].map { matches(sub, $0) } ?? false }
        case .array(let allowed):
            if case .array(let values) = value { return values.contains { one in allowed.contains { fits($0, one) } } }
            return allowed.contains { fits($0, value) }
        default:
            return false
        }
    }

    /// One entry of a pattern's list against one value.
    static func fits(_ entry: JSONValue, _ value: JSONValue) -> Bool {
        guard case .object(let filter) = entry else { return entry == value }
        if case .string(let prefix)? = filter["prefix"], case .string(let text) = value { return text.hasPrefix(prefix) }
        if case .bool(true)? = filter["exists"] { return value != .null }
        return false
    }
}
