import WishesAWS

/// Names one attempt of one wish in ECS: the `startedBy` that comes back in task events (which
/// carry no tags) and the `clientToken` that makes RunTask idempotent.
public struct TaskIdentity: Sendable, Equatable, Hashable {
    public var subject: WishSubject
    public var attempt: Int

    public init(subject: WishSubject, attempt: Int) {
        self.subject = subject
        self.attempt = attempt
    }

    /// `wish_{id}_{index or x}_{attempt}`: ECS allows 128 letters, digits, `-` and `_`.
    public var startedBy: String { "wish_\(subject.id)_\(subject.arrayIndex.map(String.init) ?? "x")_\(attempt)" }

    /// The same text: at most 64 characters (26 + 5 + 2 + 5 + 4), stable across redeliveries.
    public var clientToken: String { startedBy }

    public init?(startedBy: String) {
        let parts = startedBy.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "wish", let id = WishID(String(parts[1])), let attempt = Int(parts[3]), (1...10).contains(attempt) else {
            return nil
        }
        let index: Int?
        if parts[2] == "x" { index = nil } else if let value = Int(parts[2]), value >= 0 { index = value } else { return nil }
        self.init(subject: WishSubject(id: id, arrayIndex: index), attempt: attempt)
    }
}
