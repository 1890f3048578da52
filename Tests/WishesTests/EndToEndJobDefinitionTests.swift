import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// Job definitions through the local cloud: a wish on a registered definition runs its substituted
/// command (SQS, the Lambda bootstrap, the local Fargate), and a deregistered revision is refused.
///
/// The local Fargate pulls no image: the definition's command runs on this machine, so it is one
/// every host has (`sh`, `echo`).
@Suite(.serialized)
struct EndToEndJobDefinitionTests {
    let e2e = EndToEndTests()

    /// A name of this run's own: the local cloud is shared, and its bucket outlives a test.
    static func uniqueName(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func object(_ body: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
    }

    func register(_ body: String) async throws -> [String: Any] {
        let state = try await e2e.cloud()
        let answer = try await state.call("POST", "/api/job-definitions", body: body, headers: ["Content-Type": "application/json"])
        #expect(answer.status == 201, "\(answer.body)")
        return try Self.object(answer.body)
    }

    /// The command's output as the task stored it in S3, and as the API serves it.
    func output(_ id: String) async throws -> (stored: String, served: String) {
        let state = try await e2e.cloud()
        let key = S3Layout(prefix: "").output(WishSubject(id: try #require(WishID(id))), attempt: 1)
        let stored = try await state.aws().s3.getObject(bucket: state.bucket, key: key)
        let served = try await state.call("GET", "/api/wishes/\(id)/output")
        #expect(served.status == 200, "\(served.body)")
        return (String(decoding: stored.body, as: UTF8.self), served.body)
    }

    @Test func aWishOnADefinitionRunsItsCommandWithTheParametersFilledIn() async throws {
        let state = try await e2e.cloud()
        let name = Self.uniqueName("greet")
        let definition = try await register(
            #"""
            {"name":"\#(name)","image":"public.ecr.aws/docker/library/busybox:1.36","command":["sh","-c","echo Ref::greeting $WHO","Ref::mark"],
             "parameters":{"greeting":"hello","mark":"unused"},"environment":[{"name":"WHO","value":"world"}]}
            """#)
        #expect(definition["revision"] as? Int == 1)

        // One parameter overridden, the other and the environment inherited. `Ref::greeting` inside
        // the script is part of a longer argument, so it stays as written: Batch replaces whole arguments.
        let id = try await state.submit(#"{"jobDefinition":"\#(name)","parameters":{"greeting":"ignored"}}"#)
        let result = try await e2e.final(id)
        #expect(result["state"] as? String == "SUCCEEDED", "\(result["statusReason"] ?? "")")
        #expect(result["jobDefinition"] as? String == "\(name):1")
        let spec = try #require(result["spec"] as? [String: Any])
        #expect(spec["command"] as? [String] == ["sh", "-c", "echo Ref::greeting $WHO", "unused"])
        let (stored, served) = try await output(id)
        #expect(stored.contains("Ref::greeting world"), "\(stored)")
        #expect(served == stored, "the API serves what the task stored")

        // A whole argument is replaced: the script reads it as $1, here the wish's own value.
        let substituted = try await register(
            #"""
            {"name":"\#(name)","image":"public.ecr.aws/docker/library/busybox:1.36","command":["sh","-c","echo $1 $WHO","greeting","Ref::greeting"],
             "parameters":{"greeting":"hello"},"environment":[{"name":"WHO","value":"world"}]}
            """#)
        #expect(substituted["revision"] as? Int == 2)
        let overridden = try await state.submit(
            #"{"jobDefinition":"\#(name):2","parameters":{"greeting":"bonjour"},"environment":[{"name":"WHO","value":"le monde"}]}"#)
        let done = try await e2e.final(overridden)
        #expect(done["state"] as? String == "SUCCEEDED", "\(done["statusReason"] ?? "")")
        #expect((done["spec"] as? [String: Any])?["command"] as? [String] == ["sh", "-c", "echo $1 $WHO", "greeting", "bonjour"])
        let text = try await output(overridden)
        #expect(text.stored.contains("bonjour le monde"), "\(text.stored)")
        #expect(!text.stored.contains("hello"), "the wish's parameter wins over the default")

        // Both ran on the image's own copy of the stack's task definition, registered once, whose
        // init container installed the CountToThree that the wish's container started.
        let ecs = try state.aws().ecs
        var definitions: Set<String> = []
        for wish in [result, done] {
            let task = try #require((wish["attempts"] as? [[String: Any]])?.first?["taskArn"] as? String, "\(wish)")
            let described = try await ecs.describeTasks(cluster: DeployedNames.cluster, tasks: [task])
            definitions.insert(try #require(described.tasks?.first?.taskDefinitionArn, "\(described)"))
        }
        #expect(definitions.count == 1, "\(definitions)")
        let arn = try #require(definitions.first)
        let family = String(arn.split(separator: "/").last?.split(separator: ":").first ?? "")
        #expect(family.hasPrefix("count-to-three-") && family.count == "count-to-three-".count + 16, "\(arn)")
        let copy = try await ecs.describeTaskDefinition(arn)
        #expect(copy.containerDefinitions.first { $0.name == DeployedNames.container }?.image == "public.ecr.aws/docker/library/busybox:1.36")
        #expect(copy.containerDefinitions.contains { $0.name == "wishes-init" && $0.essential == false })
    }

    @Test func aDeregisteredRevisionIsRefusedWhileTheRevisionBeforeItStillRuns() async throws {
        let state = try await e2e.cloud()
        let name = Self.uniqueName("versioned")
        for revision in 1...2 {
            let registered = try await register(
                #"{"name":"\#(name)","image":"busybox:1.36","command":["sh","-c","echo revision \#(revision)"]}"#)
            #expect(registered["revision"] as? Int == revision)
        }
        let deregistered = try await state.call("DELETE", "/api/job-definitions/\(name):2")
        #expect(deregistered.status == 200, "\(deregistered.body)")
        #expect(try Self.object(deregistered.body)["status"] as? String == "INACTIVE")

        let refused = try await state.call("POST", "/api/wishes", body: #"{"jobDefinition":"\#(name):2"}"#, headers: ["Content-Type": "application/json"])
        #expect(refused.status == 400, "\(refused.body)")
        #expect(refused.body.contains("jobDefinition") && refused.body.contains("\(name):2"), "\(refused.body)")

        let id = try await state.submit(#"{"jobDefinition":"\#(name):1"}"#)
        let result = try await e2e.final(id)
        #expect(result["state"] as? String == "SUCCEEDED", "\(result["statusReason"] ?? "")")
        #expect(try await output(id).stored.contains("revision 1"))
        // The name alone is its latest ACTIVE revision: 1 again, now that 2 is deregistered.
        let latest = try await state.call("GET", "/api/job-definitions/\(name)")
        #expect(try Self.object(latest.body)["revision"] as? Int == 1)
    }
}
