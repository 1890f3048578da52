import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// `deploy/wishes.yaml` against cfn-lint, against the code (names, environments, entry points) and
/// deployed into moto's CloudFormation.
struct DeployTests {
    static let template = Python.repository.appendingPathComponent("deploy/wishes.yaml")
    static let sources = Python.repository.appendingPathComponent("Sources")

    /// What each binary reads from its environment, besides what AWS itself sets (`AWS_*`, `ECS_*`)
    /// and what RunTask's overrides give each attempt (`WISH_*`). The test below proves the table
    /// covers every variable the code names.
    static let reads: [String: Set<String>] = [
        "MakeAWish": [
            "WISHES_BUCKET", "WISHES_PREFIX", "WISHES_QUEUE_URL", "WISHES_ASAP_QUEUE_URL", "WISHES_CLUSTER",
            "WISHES_TASK_DEFINITION", "WISHES_CONTAINER_NAME", "WISHES_SUBNETS", "WISHES_SECURITY_GROUPS",
            "WISHES_ASSIGN_PUBLIC_IP", "WISHES_RECHECK_SECONDS", "WISHES_RETRY_BASE_SECONDS", "WISHES_STUCK_SECONDS", "WISHES_UNKNOWN_DEPENDENCY_SECONDS",
            "WISHES_RECOVER_AFTER_SECONDS", "WISHES_SWEEP_PERIOD_SECONDS", "WISHES_CAPACITY_BACKOFF_SECONDS",
            "WISHES_FAN_OUT_CHUNK", "WISHES_DEFAULT_TIMEOUT_SECONDS", "WISHES_MAX_TIMEOUT_SECONDS", "WISHES_MAX_ARRAY_VCPUS", "WISHES_SECRETS_KMS_KEY",
            "WISHES_CALLBACK_SECRET_ARN", "WISHES_CALLBACK_RETRY_SECONDS", "WISHES_CALLBACK_ALLOW_LOOPBACK", "LOG_LEVEL",
            "WISHES_JOB_ROLE_ARNS", "WISHES_QUEUE_MAX_VCPUS", "WISHES_ASAP_FIRST_SECONDS", "WISHES_ASAP_FIRST_MAX_HOLD_SECONDS",
            "WISHES_GATE_WAIT_SECONDS",
        ],
        "CountToThree": [
            "WISHES_BUCKET", "WISHES_PREFIX", "WISHES_COUNT_INTERVAL_SECONDS", "WISHES_KILL_GRACE_SECONDS",
            "WISHES_OUTPUT_LIMIT_BYTES", "WISHES_FLUSH_SECONDS", "WISHES_SPEC", "WISHES_CA_BUNDLE", "LOG_LEVEL",
        ],
        // WISHES_CLUSTER: cancel stops a running wish's task.
        "Web": [
            "WISHES_BUCKET", "WISHES_PREFIX", "WISHES_QUEUE_URL", "WISHES_ASAP_QUEUE_URL", "WISHES_CLUSTER", "WISHES_API_TOKEN",
            "WISHES_WEB_HOST", "WISHES_WEB_PORT", "WISHES_WEB_ALLOWED_HOSTS", "WISHES_DEFAULT_TIMEOUT_SECONDS",
            "WISHES_MAX_TIMEOUT_SECONDS", "WISHES_MAX_ARRAY_VCPUS", "WISHES_SECRETS_KMS_KEY", "WISHES_CALLBACK_ALLOW_LOOPBACK", "LOG_LEVEL",
            "WISHES_JOB_ROLE_ARNS",
            "WISHES_QUEUE_MAX_VCPUS", "WISHES_TASK_LOG_GROUP", "WISHES_TASK_LOG_STREAM_PREFIX",
        ],
    ]

    struct Facts: Decodable {
        struct Queue: Decodable {
            var visibilityTimeout: Int?
            var maxReceiveCount: Int?
            var encrypted: Bool
        }
        var environment: [String: [String: String]]
        var entryPoints: [String: String]
        var queues: [String: Queue]
        var cluster: String
        var capacityProviders: [String]
        var family: String
        struct TaskWiring: Decodable {
            var containers: [String]
            var initImage: String
            var initEssential: Bool
            var initCommand: [String]
            var initMounts: [String]
            var userImage: String
            var userEntryPoint: [String]
            var userDependsOn: [String]
            var userMounts: [String]
            var volumes: [String]
            var definitionProperties: [String]
            var containerProperties: [String]
        }
        var taskWiring: TaskWiring
        var container: String
        var functionTimeout: Int
        var functionMemorySize: Int
        var runtime: String
        var batchResponses: [String]
        var architectures: [String]
        struct Web: Decodable {
            var serviceCluster: String
            var launchType: String
            var containerPort: Int
            var serviceContainerPort: Int
            var targetPort: Int
            var healthCheckPath: String
            var tokenFrom: [String]
            var viewerProtocolPolicy: String
            var cachePolicyId: String
            var originRequestPolicyId: String
            var allowedMethods: [String]
            var defaultCertificate: Bool
            var url: String
        }
        var web: Web
        struct TopicKey: Decodable {
            var type: String
            var rotation: Bool
            var cloudWatchMay: [String]
        }
        var alarmTopicKey: TopicKey
        struct Grant: Decodable {
            var role: String
            var actions: [String]
            var resources: [String]
            var conditionKeys: [String]
        }
        var ecsGrants: [Grant]
        struct AssumeRoleGrant: Decodable {
            var role: String
            var actions: [String]
            var condition: String
            var resources: [String]
        }
        var assumeRoleGrants: [AssumeRoleGrant]
        var types: [String]
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

    /// Set by the dispatcher in each RunTask's overrides, not by the template.
    static let perTask: Set<String> = ["WISHES_SPEC"]

    @Test func theTemplateSetsEveryVariableEachBinaryReads() async throws {
        let facts = try await Self.facts()
        for (binary, variables) in Self.reads {
            let set = Set(facts.environment[binary]?.keys ?? [:].keys)
            #expect(
                variables.subtracting(set).subtracting(Self.perTask).isEmpty,
                "\(binary) reads \(variables.subtracting(set).sorted()) but the template leaves them unset")
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
        // The local cloud gives each MakeAWish environment the CPU this memory buys in Lambda.
        #expect(facts.functionMemorySize == DeployedNames.functionMemoryMB)
        #expect(facts.entryPoints["MakeAWish"] == "bootstrap")
    }

    /// Any image runs the supervisor: the Wishes image's init container installs it into a shared
    /// volume, and the wish's container starts it from there once the install succeeded.
    @Test func theWishesContainerStartsTheSupervisorTheInitContainerInstalled() async throws {
        let wiring = try await Self.facts().taskWiring
        #expect(wiring.containers == ["wishes-init", DeployedNames.container])
        #expect(wiring.initImage == "ImageUri" && !wiring.initEssential, "the init container is the Wishes image and may end")
        #expect(wiring.initCommand == ["--install", "/wishes-bin"])
        #expect(wiring.initMounts == ["wishes-bin:/wishes-bin:rw"] && wiring.userMounts == ["wishes-bin:/wishes-bin:ro"])
        #expect(wiring.volumes == ["wishes-bin"])
        #expect(wiring.userImage == "DefaultJobImage", "a wish's image replaces only this one")
        #expect(wiring.userEntryPoint == ["/wishes-bin/CountToThree"])
        #expect(wiring.userDependsOn == ["wishes-init:SUCCESS"], "the wish's container starts only once the install succeeded")
    }

    /// The dispatcher copies the stack's definition for each image through `ECS.TaskDefinition`:
    /// a property the template sets and the type lacks would silently vanish from every copy.
    @Test func theDispatchersCopyOfTheTaskDefinitionKeepsEveryPropertyTheTemplateSets() async throws {
        let wiring = try await Self.facts().taskWiring
        func camel(_ name: String) -> String { name.prefix(1).lowercased() + name.dropFirst() }
        // Every stored property, set or not, is what the type can carry (and encodes under its own name).
        let definition = ECS.TaskDefinition(family: "f", containerDefinitions: [])
        let container = ECS.ContainerDefinition(name: "n", image: "i")
        let definitionKeys = Set(Mirror(reflecting: definition).children.compactMap(\.label))
        let containerKeys = Set(Mirror(reflecting: container).children.compactMap(\.label))
        for property in wiring.definitionProperties {
            #expect(definitionKeys.contains(camel(property)), "the template's TaskDefinition sets \(property), which the copy drops")
        }
        for property in wiring.containerProperties {
            #expect(containerKeys.contains(camel(property)), "a container sets \(property), which the copy drops")
        }
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

    @Test func theWebFrontIsAnECSServiceBehindALoadBalancerAndCloudFront() async throws {
        let facts = try await Self.facts()
        let web = facts.web
        #expect(!facts.types.contains("AWS::AppRunner::Service"), "App Runner takes no new customers")
        #expect(web.serviceCluster == "Cluster" && web.launchType == "FARGATE")
        #expect(facts.environment["Web"]?["WISHES_WEB_HOST"] == "0.0.0.0", "the load balancer reaches the container from outside it")
        #expect(facts.environment["Web"]?["WISHES_WEB_PORT"] == String(web.containerPort))
        #expect(web.serviceContainerPort == web.containerPort && web.targetPort == web.containerPort)
        #expect(web.healthCheckPath == "/healthz")
        #expect(web.tokenFrom == ["AWS::SecretsManager::Secret"], "the token comes from Secrets Manager, never a plain value")
        #expect(web.viewerProtocolPolicy == "redirect-to-https" && web.defaultCertificate)
        #expect(web.cachePolicyId == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "Managed-CachingDisabled")
        #expect(web.originRequestPolicyId == "b689b0a8-53d0-40ab-baf2-68738e2966ac", "Managed-AllViewerExceptHostHeader")
        #expect(web.allowedMethods == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"])
        #expect(web.url.hasPrefix("https://") && web.url.contains("Distribution.DomainName"), "the place to click is CloudFront's https URL")
    }

    /// Each ECS grant names the resource type its action authorizes, and stays in our cluster.
    @Test func ecsGrantsHaveTheResourceShapesECSAuthorizes() async throws {
        let facts = try await Self.facts()
        let task = ":task/\(DeployedNames.cluster)/*"
        for grant in facts.ecsGrants {
            for action in grant.actions {
                switch action {
                case "ecs:RunTask":
                    let families = [":task-definition/\(DeployedNames.taskFamily):*", ":task-definition/\(DeployedNames.taskFamily)-*:*"]
                    #expect(
                        grant.resources.map { $0.split(separator: "}").last.map(String.init) ?? $0 }.allSatisfy { resource in
                            families.contains { resource.hasSuffix($0) }
                        }, "RunTask runs our definition and its copies per image, nothing else: \(grant)")
                    #expect(families.allSatisfy { family in grant.resources.contains { $0.hasSuffix(family) } }, "\(grant)")
                    #expect(grant.conditionKeys == ["ecs:cluster"], "\(grant)")
                case "ecs:StopTask", "ecs:DescribeTasks":
                    #expect(grant.resources.allSatisfy { $0.hasSuffix(task) }, "\(grant)")
                    #expect(grant.conditionKeys == ["ecs:cluster"], "\(grant)")
                case "ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition":
                    #expect(grant.resources == ["*"] && grant.conditionKeys.isEmpty, "neither authorizes on a resource: \(grant)")
                case "ecs:ListTasks":
                    #expect(grant.resources == ["*"], "ListTasks authorizes on container instances, which Fargate has none of")
                    #expect(grant.conditionKeys == ["ecs:cluster"], "\(grant)")
                case "ecs:TagResource":
                    #expect(grant.resources.allSatisfy { $0.hasSuffix(task) } && grant.conditionKeys == ["ecs:CreateAction"], "\(grant)")
                default:
                    Issue.record("an ECS grant this test does not know: \(action) in \(grant.role)")
                }
            }
        }
        let actions = Dictionary(grouping: facts.ecsGrants, by: \.role).mapValues { Set($0.flatMap(\.actions)) }
        #expect(
            actions["FunctionRole"] == [
                "ecs:RunTask", "ecs:TagResource", "ecs:StopTask", "ecs:DescribeTasks", "ecs:ListTasks", "ecs:DescribeTaskDefinition",
                "ecs:RegisterTaskDefinition",
            ])
        #expect(actions["WebTaskRole"] == ["ecs:StopTask"], "cancel stops a running wish")
    }

    /// A wish's job role: the task role may assume the stack's `JobRoleArns` and nothing else, and
    /// only when the list is not empty (no role at all otherwise); no other role may assume any.
    @Test func onlyTheTaskRoleMayAssumeRolesAndOnlyTheStacksJobRoles() async throws {
        let grants = try await Self.facts().assumeRoleGrants
        #expect(grants.count == 1, "\(grants)")
        let grant = try #require(grants.first)
        #expect(grant.role == "TaskRole")
        #expect(grant.actions == ["sts:AssumeRole"])
        #expect(grant.resources == ["Ref:JobRoleArns"])
        #expect(grant.condition == "HasJobRoles", "an empty JobRoleArns must grant nothing")
    }

    @Test func nothingAsksForARM64WhichFargateSpotCannotRun() async throws {
        let facts = try await Self.facts()
        #expect(Set(facts.architectures) == ["X86_64", "x86_64"], "\(facts.architectures)")
    }

    @Test func alarmsCanPublishToTheirEncryptedTopic() async throws {
        let key = try await Self.facts().alarmTopicKey
        #expect(key.type == "AWS::KMS::Key", "CloudWatch cannot use the AWS-managed alias/aws/sns key")
        #expect(key.rotation)
        #expect(key.cloudWatchMay == ["kms:Decrypt", "kms:GenerateDataKey*"])
    }

    struct MotoDeployment: Decodable {
        struct Removed: Decodable {
            var logicalId: String
            var type: String
        }
        struct Missing: Decodable {
            var type: String
            var problem: String
        }
        var moto: String
        var stackStatus: String
        var rollback: Bool
        var describeStacks: String
        var createdTypes: [String]
        var unsupportedTypes: [String]
        var removed: [Removed]
        var missing: [String: Missing]
        var leftOut: [String]
        var outputs: [String: String]
        /// What the task role may assume in moto's IAM, for the job roles the deployment gave (`JobRoleArns`).
        var taskRoleAssumes: [String]
        var jobRoleArns: [String]
    }

    /// The types of the template that moto 5.2.1's CloudFormation cannot create: it skips them (an entry
    /// without a logical id in describe-stack-resources). Everything else is created and then found in
    /// its own service through the `aws` CLI.
    static let typesMotoCannotCreate: Set<String> = [
        "AWS::CloudFront::Distribution", "AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy",
        "AWS::SNS::Subscription", "AWS::SecretsManager::Secret", "AWS::Lambda::EventInvokeConfig",
    ]

    /// The whole template into moto's CloudFormation with the `aws` CLI (Scripts/cfn_deploy_moto.py). Moto
    /// answers describe-stacks with a 500 when an output reads an attribute of a resource it skipped
    /// (WebUrl reads the distribution's DomainName), so the script deploys, besides the template as is, a
    /// copy without that one resource, whose references become placeholders.
    @Test(.timeLimit(.minutes(10))) func theTemplateDeploysIntoMotosCloudFormation() async throws {
        let deployment = try await Python.run("cfn_deploy_moto.py", input: Self.template.path, as: MotoDeployment.self)
        let notes = "moto \(deployment.moto); left out by moto: \(deployment.leftOut)"
        #expect(deployment.stackStatus == "CREATE_COMPLETE", "\(notes)")
        #expect(!deployment.rollback)
        #expect(deployment.describeStacks == "ok")
        #expect(
            Set(deployment.unsupportedTypes) == Self.typesMotoCannotCreate,
            "moto now creates \(Self.typesMotoCannotCreate.subtracting(deployment.unsupportedTypes).sorted()), no longer creates \(Set(deployment.unsupportedTypes).subtracting(Self.typesMotoCannotCreate).sorted())"
        )
        #expect(deployment.missing.isEmpty, "the stack reports these, but their services do not have them: \(deployment.missing)")
        let types = try await Set(Self.facts().types)
        #expect(Set(deployment.createdTypes) == types.subtracting(Self.typesMotoCannotCreate), "every type moto supports is created")
        #expect(deployment.removed.map(\.logicalId) == ["Distribution"], "only what breaks moto is left out of the copy")
        #expect(deployment.removed.allSatisfy { Self.typesMotoCannotCreate.contains($0.type) })
        #expect(deployment.outputs["Cluster"] == DeployedNames.cluster)
        #expect(deployment.outputs["QueueUrl"]?.hasSuffix("/" + DeployedNames.queue) == true)
        #expect(deployment.taskRoleAssumes == deployment.jobRoleArns, "the task role may assume the JobRoleArns given, and no other role")
        #expect(deployment.outputs["TaskRoleArn"]?.contains(":role/") == true, "job roles' trust policies name this output")
    }
}
