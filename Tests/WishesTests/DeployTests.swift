import Foundation
import Testing
@testable import Wishes

/// `deploy/wishes.yaml` against cfn-lint and against the code: names, environments, entry points.
struct DeployTests {
    static let template = Python.repository.appendingPathComponent("deploy/wishes.yaml")
    static let sources = Python.repository.appendingPathComponent("Sources")

    /// What each binary reads from its environment, besides what AWS itself sets (`AWS_*`, `ECS_*`)
    /// and what RunTask's overrides give each attempt (`WISH_*`). The test below proves the table
    /// covers every variable the code names.
    static let reads: [String: Set<String>] = [
        "MakeAWish": ["WISHES_BUCKET", "WISHES_PREFIX", "WISHES_QUEUE_URL", "WISHES_ASAP_QUEUE_URL", "WISHES_CLUSTER",
                      "WISHES_TASK_DEFINITION", "WISHES_CONTAINER_NAME", "WISHES_SUBNETS", "WISHES_SECURITY_GROUPS",
                      "WISHES_ASSIGN_PUBLIC_IP", "WISHES_RECHECK_SECONDS", "WISHES_RETRY_BASE_SECONDS", "WISHES_STUCK_SECONDS",
                      "WISHES_FAN_OUT_CHUNK", "LOG_LEVEL"],
        "CountToThree": ["WISHES_BUCKET", "WISHES_PREFIX", "WISHES_COUNT_INTERVAL_SECONDS", "WISHES_KILL_GRACE_SECONDS",
                         "WISHES_OUTPUT_LIMIT_BYTES", "WISHES_FLUSH_SECONDS", "LOG_LEVEL"],
        "Web": ["WISHES_BUCKET", "WISHES_PREFIX", "WISHES_QUEUE_URL", "WISHES_ASAP_QUEUE_URL", "WISHES_API_TOKEN",
                "WISHES_WEB_HOST", "WISHES_WEB_PORT", "LOG_LEVEL"],
    ]

    struct Facts: Decodable {
        struct Queue: Decodable { var visibilityTimeout: Int?; var maxReceiveCount: Int?; var encrypted: Bool }
        var environment: [String: [String: String]]
        var entryPoints: [String: String]
        var queues: [String: Queue]
        var cluster: String
        var capacityProviders: [String]
        var family: String
        var container: String
        var functionTimeout: Int
        var runtime: String
        var batchResponses: [String]
    }

    static func facts() async throws -> Facts {
        try await Python.run("template_facts.py", input: template.path, as: Facts.self)
    }

    @Test func cfnLintFindsNoErrorsAndNoWarnings() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cfn-lint-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cfn-lint", "--format", "parseable", Self.template.path]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
        try await offPool { process.waitUntilExit() }
        let findings = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0 && findings.isEmpty, "cfn-lint:\n\(findings)")
    }

    @Test func theTableNamesEveryVariableTheCodeReads() throws {
        var named = Set<String>()
        let pattern = try Regex(#""((?:WISHES_[A-Z0-9_]+)|LOG_LEVEL)""#)
        let files = FileManager.default.enumerator(at: Self.sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" && !file.path.contains("/LocalCloud/") {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: pattern) { named.insert(String(text[match.range].dropFirst().dropLast())) }
        }
        let tabled = Self.reads.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        #expect(named.subtracting(tabled).isEmpty, "read by the code but in no binary's row: \(named.subtracting(tabled).sorted())")
        #expect(tabled.subtracting(named).isEmpty, "in the table but read nowhere: \(tabled.subtracting(named).sorted())")
    }

    @Test func theTemplateSetsEveryVariableEachBinaryReads() async throws {
        let facts = try await Self.facts()
        for (binary, variables) in Self.reads {
            let set = Set(facts.environment[binary]?.keys ?? [:].keys)
            #expect(variables.subtracting(set).isEmpty, "\(binary) reads \(variables.subtracting(set).sorted()) but the template leaves them unset")
            #expect(set.subtracting(variables).isEmpty, "the template sets \(set.subtracting(variables).sorted()) for \(binary), which never reads them")
        }
        // What the binaries need for their start-up checks is there, and the secret stays a secret.
        for name in ["WISHES_BUCKET", "WISHES_QUEUE_URL", "WISHES_TASK_DEFINITION"] {
            #expect(facts.environment["MakeAWish"]?[name] != nil)
        }
        #expect(facts.environment["Web"]?["WISHES_API_TOKEN"] == "<secret>")
        #expect(facts.environment["MakeAWish"]?["WISHES_TASK_DEFINITION"] == DeployedNames.taskFamily)
        #expect(facts.environment["MakeAWish"]?["WISHES_CONTAINER_NAME"] == DeployedNames.container)
    }

    @Test func theTemplateNamesWhatTheCodeNames() async throws {
        let facts = try await Self.facts()
        #expect(facts.cluster == DeployedNames.cluster)
        #expect(facts.family == DeployedNames.taskFamily)
        #expect(facts.container == DeployedNames.container)
        #expect(Set(facts.capacityProviders) == Set(WishQueue.allCases.map(\.capacityProvider)))
        for queue in [DeployedNames.queue, DeployedNames.asapQueue] {
            let main = try #require(facts.queues[queue], "no queue \(queue)")
            #expect(main.maxReceiveCount == DeployedNames.maxReceiveCount)
            #expect((main.visibilityTimeout ?? 0) >= 6 * facts.functionTimeout, "Lambda asks for six times the function's timeout")
            #expect(main.encrypted)
            #expect(facts.queues[queue + DeployedNames.deadLetterSuffix]?.encrypted == true, "no dead-letter queue for \(queue)")
        }
        #expect(facts.batchResponses == ["ReportBatchItemFailures"])
        #expect(facts.runtime == "provided.al2023")
        #expect(facts.entryPoints["MakeAWish"] == "bootstrap")
    }

    @Test func theImageHoldsTheEntryPointsTheTemplateStarts() async throws {
        let facts = try await Self.facts()
        let recipe = try String(contentsOf: Python.repository.appendingPathComponent("deploy/Containerfile"), encoding: .utf8)
        #expect(recipe.contains("COPY --from=build /out/MakeAWish /out/CountToThree /out/Web /opt/wishes/"))
        #expect(recipe.contains("ENTRYPOINT [\"/opt/wishes/MakeAWish\"]"), "Lambda can run the image as is")
        for binary in ["MakeAWish", "CountToThree", "Web"] {
            #expect(recipe.contains("--static-swift-stdlib --product \(binary)"), "the image builds \(binary) as deploy/ needs it")
        }
        for binary in ["CountToThree", "Web"] {
            #expect(facts.entryPoints[binary] == "/opt/wishes/\(binary)", "the template starts \(binary) where the image puts it")
        }
    }
}
