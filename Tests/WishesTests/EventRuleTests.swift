import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// The local cloud delivers task events through `DeployedNames.taskStateEventPattern`, so it must be
/// the template's own rule: a state the rule filters out in AWS must not reach the function locally.
struct EventRuleTests {
    @Test func theLocalTaskRuleIsTheTemplatesRule() async throws {
        let patterns = try await Python.run("event_patterns.py", input: DeployTests.template.path, as: [String: JSONValue].self)
        let local = try JSONDecoder().decode(JSONValue.self, from: Data(DeployedNames.taskStateEventPattern.utf8))
        #expect(patterns.count == 1, "one rule with an event pattern: \(patterns.keys)")
        #expect(patterns.values.first == local)
    }

    @Test func thePatternFilledInNamesOneAccountAndRegion() throws {
        let text = DeployedNames.taskStateEventPattern(region: "eu-west-1", account: "123456789012")
        #expect(!["{partition}", "{region}", "{account}"].contains { text.contains($0) }, "no placeholder left")
        #expect(text.contains("arn:aws:ecs:eu-west-1:123456789012:cluster/wishes"))
        #expect(text.contains("arn:aws:ecs:eu-west-1:123456789012:task-definition/count-to-three:"))
    }
}
