/// Everything wrong with a submitted wish, each problem naming its field and the rule it broke.
public struct WishValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable, Codable {
        public var field: String
        public var rule: String
        public init(field: String, rule: String) {
            self.field = field
            self.rule = rule
        }
    }

    public var problems: [Problem]
    /// What was refused: a wish, or a job definition.
    public var subject: String

    public init(problems: [Problem], subject: String = "wish") {
        self.problems = problems
        self.subject = subject
    }

    public var description: String {
        "invalid \(subject): " + problems.map { "\($0.field): \($0.rule)" }.joined(separator: "; ")
    }
}
