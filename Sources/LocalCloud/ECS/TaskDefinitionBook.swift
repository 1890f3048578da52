import Wishes
import WishesAWS

/// The local Fargate's task definitions: revisions per family as ECS numbers them, seeded with the
/// stack's `count-to-three:1` in the shape deploy/wishes.yaml gives it (init container, shared
/// volume), so the dispatcher's DescribeTaskDefinition and RegisterTaskDefinition meet what they
/// meet in AWS, and RunTask runs only what was registered. No image is pulled here: `TaskLayout`
/// runs each container's command on the host.
actor TaskDefinitionBook {
    static let prefix = "arn:aws:ecs:us-east-1:000000000000:task-definition/"
    private var families: [String: [ECS.TaskDefinition]] = [:]
    /// RegisterTaskDefinition's own throttle, far below RunTask's: a dispatcher that registers per
    /// wish instead of caching meets ThrottlingException here as it would in AWS.
    private var registrations: LaunchBucket

    init(containerName: String, environment: [String: String] = [:], registerBurst: Double = 2, registerRate: Double = 1) {
        registrations = LaunchBucket(capacity: registerBurst, rate: registerRate)
        var seed = Self.stackDefinition(containerName: containerName, environment: environment)
        seed.revision = 1
        seed.status = "ACTIVE"
        seed.taskDefinitionArn = Self.prefix + "\(seed.family):1"
        families[seed.family] = [seed]
    }

    /// The template's `TaskDefinition`, with local role ARNs and the local cloud's task settings as
    /// the container's environment, where the template puts the stack's.
    static func stackDefinition(containerName: String, environment: [String: String] = [:]) -> ECS.TaskDefinition {
        let settings = environment.sorted { $0.key < $1.key }.map { ECS.KeyValuePair(name: $0.key, value: $0.value) }
        return ECS.TaskDefinition(
            family: DeployedNames.taskFamily, taskRoleArn: "arn:aws:iam::000000000000:role/wishes-task",
            executionRoleArn: "arn:aws:iam::000000000000:role/wishes-task-execution", networkMode: "awsvpc",
            containerDefinitions: [
                ECS.ContainerDefinition(
                    name: "wishes-init", image: "wishes:local", essential: false, entryPoint: ["/opt/wishes/CountToThree"],
                    command: ["--install", "/wishes-bin"], mountPoints: [.init(sourceVolume: "wishes-bin", containerPath: "/wishes-bin")]),
                ECS.ContainerDefinition(
                    name: containerName, image: "public.ecr.aws/amazonlinux/amazonlinux:2023-minimal", essential: true,
                    entryPoint: ["/wishes-bin/CountToThree"], environment: settings + [.init(name: "WISHES_CA_BUNDLE", value: "/wishes-bin/ca-bundle.crt")],
                    mountPoints: [.init(sourceVolume: "wishes-bin", containerPath: "/wishes-bin", readOnly: true)],
                    dependsOn: [.init(containerName: "wishes-init", condition: "SUCCESS")], stopTimeout: 120),
            ],
            volumes: [.init(name: "wishes-bin")], requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512")
    }

    /// ECS's checks that matter here; the message is what the caller is told.
    func register(_ input: ECS.TaskDefinition) -> Result<ECS.TaskDefinition, RegistrationProblem> {
        guard registrations.take() else { return .failure(RegistrationProblem("Rate exceeded", code: "ThrottlingException")) }
        guard (1...255).contains(input.family.count), input.family.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return .failure(RegistrationProblem("Family contains invalid characters or is not 1 to 255 characters")) }
        guard !input.containerDefinitions.isEmpty else { return .failure(RegistrationProblem("Container list cannot be empty.")) }
        let names = input.containerDefinitions.map(\.name)
        guard Set(names).count == names.count else { return .failure(RegistrationProblem("Container names must be unique.")) }
        let volumes = Set((input.volumes ?? []).compactMap(\.name))
        for container in input.containerDefinitions {
            for dependency in container.dependsOn ?? [] where !names.contains(dependency.containerName) {
                return .failure(RegistrationProblem("Container \(container.name) depends on \(dependency.containerName), which is not in the task definition."))
            }
            for mount in container.mountPoints ?? [] where !volumes.contains(mount.sourceVolume ?? "") {
                return .failure(RegistrationProblem("Invalid 'mountPoints' in container \(container.name): unknown volume \(mount.sourceVolume ?? "")."))
            }
        }
        var definition = input.registration()
        let revision = (families[input.family]?.count ?? 0) + 1
        definition.revision = revision
        definition.status = "ACTIVE"
        definition.taskDefinitionArn = Self.prefix + "\(input.family):\(revision)"
        families[input.family, default: []].append(definition)
        return .success(definition)
    }

    /// A family (its latest ACTIVE revision), `family:revision` or an ARN.
    func describe(_ name: String) -> ECS.TaskDefinition? {
        let reference = name.hasPrefix("arn:") ? String(name.split(separator: "/", maxSplits: 1).last ?? "") : name
        let parts = reference.split(separator: ":", maxSplits: 1).map(String.init)
        guard let family = parts.first, let revisions = families[family] else { return nil }
        if parts.count == 2 { return Int(parts[1]).flatMap { number in revisions.first { $0.revision == number } } }
        return revisions.last { $0.status == "ACTIVE" }
    }

    /// What RunTask may start: an ACTIVE revision, as ECS refuses an unknown or deregistered one.
    func runnable(_ name: String) -> Result<ECS.TaskDefinition, RegistrationProblem> {
        guard let found = describe(name) else { return .failure(RegistrationProblem("TaskDefinition not found.")) }
        guard found.status == "ACTIVE" else { return .failure(RegistrationProblem("TaskDefinition is inactive")) }
        return .success(found)
    }

    /// ECS's refusal of a call about a task definition: the error code and message it answers with.
    struct RegistrationProblem: Error {
        var message: String
        var code: String
        init(_ message: String, code: String = "ClientException") {
            self.message = message
            self.code = code
        }
    }
}
