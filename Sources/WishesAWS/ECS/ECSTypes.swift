/// ECS's shapes, with the JSON 1.1 protocol's member names (botocore's `ecs/service-2.json`).
public enum ECS {
    public struct KeyValuePair: Codable, Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Tag: Codable, Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public struct CapacityProviderStrategyItem: Codable, Sendable, Equatable {
        public var capacityProvider: String
        public var weight: Int?
        public var base: Int?
        public init(capacityProvider: String, weight: Int? = 1, base: Int? = nil) {
            self.capacityProvider = capacityProvider
            self.weight = weight
            self.base = base
        }
    }

    public struct AwsVpcConfiguration: Codable, Sendable, Equatable {
        public var subnets: [String]
        public var securityGroups: [String]?
        /// `ENABLED` or `DISABLED`.
        public var assignPublicIp: String?
        public init(subnets: [String], securityGroups: [String]? = nil, assignPublicIp: String? = nil) {
            self.subnets = subnets
            self.securityGroups = securityGroups
            self.assignPublicIp = assignPublicIp
        }
    }

    public struct NetworkConfiguration: Codable, Sendable, Equatable {
        public var awsvpcConfiguration: AwsVpcConfiguration
        public init(awsvpcConfiguration: AwsVpcConfiguration) {
            self.awsvpcConfiguration = awsvpcConfiguration
        }
    }

    public struct ContainerOverride: Codable, Sendable, Equatable {
        public var name: String
        public var command: [String]?
        public var environment: [KeyValuePair]?
        public var cpu: Int?
        public var memory: Int?
        public init(name: String, command: [String]? = nil, environment: [KeyValuePair]? = nil, cpu: Int? = nil, memory: Int? = nil) {
            self.name = name
            self.command = command
            self.environment = environment
            self.cpu = cpu
            self.memory = memory
        }
    }

    public struct TaskOverride: Codable, Sendable, Equatable {
        public var containerOverrides: [ContainerOverride]?
        /// Task-level size in CPU units and MiB, as strings (the model says so).
        public var cpu: String?
        public var memory: String?
        public init(containerOverrides: [ContainerOverride]? = nil, cpu: String? = nil, memory: String? = nil) {
            self.containerOverrides = containerOverrides
            self.cpu = cpu
            self.memory = memory
        }
    }

    public struct RunTaskInput: Codable, Sendable, Equatable {
        public var cluster: String?
        public var taskDefinition: String
        public var count: Int?
        /// Up to 64 characters; the same token within an hour returns the same task instead of a second.
        public var clientToken: String?
        public var capacityProviderStrategy: [CapacityProviderStrategyItem]?
        public var launchType: String?
        public var networkConfiguration: NetworkConfiguration?
        public var overrides: TaskOverride?
        public var tags: [Tag]?
        public var startedBy: String?
        public var group: String?
        public var propagateTags: String?
        public var enableECSManagedTags: Bool?

        public init(
            cluster: String? = nil, taskDefinition: String, count: Int? = 1, clientToken: String? = nil,
            capacityProviderStrategy: [CapacityProviderStrategyItem]? = nil, launchType: String? = nil,
            networkConfiguration: NetworkConfiguration? = nil, overrides: TaskOverride? = nil, tags: [Tag]? = nil,
            startedBy: String? = nil, group: String? = nil, propagateTags: String? = nil, enableECSManagedTags: Bool? = nil
        ) {
            self.cluster = cluster
            self.taskDefinition = taskDefinition
            self.count = count
            self.clientToken = clientToken
            self.capacityProviderStrategy = capacityProviderStrategy
            self.launchType = launchType
            self.networkConfiguration = networkConfiguration
            self.overrides = overrides
            self.tags = tags
            self.startedBy = startedBy
            self.group = group
            self.propagateTags = propagateTags
            self.enableECSManagedTags = enableECSManagedTags
        }
    }

    public struct Container: Codable, Sendable, Equatable {
        public var name: String?
        public var exitCode: Int?
        public var reason: String?
        public var lastStatus: String?
        public init(name: String? = nil, exitCode: Int? = nil, reason: String? = nil, lastStatus: String? = nil) {
            self.name = name
            self.exitCode = exitCode
            self.reason = reason
            self.lastStatus = lastStatus
        }
    }

    /// A task as `RunTask`, `DescribeTasks` and the Task State Change event describe it.
    /// Times are epoch seconds, as the JSON protocol sends timestamps.
    public struct Task: Codable, Sendable, Equatable {
        public var taskArn: String?
        public var clusterArn: String?
        public var taskDefinitionArn: String?
        public var lastStatus: String?
        public var desiredStatus: String?
        public var stopCode: String?
        public var stoppedReason: String?
        public var containers: [Container]?
        public var startedBy: String?
        public var group: String?
        public var capacityProviderName: String?
        public var launchType: String?
        public var cpu: String?
        public var memory: String?
        public var overrides: TaskOverride?
        public var tags: [Tag]?
        public var createdAt: Double?
        public var startedAt: Double?
        public var stoppedAt: Double?

        public init(taskArn: String? = nil, lastStatus: String? = nil) {
            self.taskArn = taskArn
            self.lastStatus = lastStatus
        }
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var arn: String?
        public var reason: String?
        public var detail: String?
        public init(arn: String? = nil, reason: String? = nil, detail: String? = nil) {
            self.arn = arn
            self.reason = reason
            self.detail = detail
        }
    }

    /// `RunTask`'s answer as a launcher reads it: which task started, or why none did. ECS answers
    /// with the whole task (containers, overrides, attachments, several KB); a launcher needs its ARN,
    /// and decoding the rest was 6 % of the dispatcher's CPU (profile of 2026-12-07).
    public struct RunTaskOutput: Decodable, Sendable, Equatable {
        public struct StartedTask: Decodable, Sendable, Equatable {
            public var taskArn: String?
            public init(taskArn: String? = nil) { self.taskArn = taskArn }
        }
        public var tasks: [StartedTask]?
        public var failures: [Failure]?
        public init(tasks: [StartedTask]? = nil, failures: [Failure]? = nil) {
            self.tasks = tasks
            self.failures = failures
        }
    }

    /// `DescribeTasks`' answer (and `RunTask`'s in full): tasks, and per-item failures.
    public struct TasksOutput: Codable, Sendable, Equatable {
        public var tasks: [Task]?
        public var failures: [Failure]?
        public init(tasks: [Task]? = nil, failures: [Failure]? = nil) {
            self.tasks = tasks
            self.failures = failures
        }
    }

    public struct ListTasksInput: Codable, Sendable, Equatable {
        public var cluster: String?
        public var family: String?
        public var startedBy: String?
        /// `RUNNING`, `PENDING` or `STOPPED`.
        public var desiredStatus: String?
        public var nextToken: String?
        public var maxResults: Int?
        public init(
            cluster: String? = nil, family: String? = nil, startedBy: String? = nil, desiredStatus: String? = nil, nextToken: String? = nil,
            maxResults: Int? = nil
        ) {
            self.cluster = cluster
            self.family = family
            self.startedBy = startedBy
            self.desiredStatus = desiredStatus
            self.nextToken = nextToken
            self.maxResults = maxResults
        }
    }

    public struct ListTasksOutput: Codable, Sendable, Equatable {
        public var taskArns: [String]?
        public var nextToken: String?
        public init(taskArns: [String]? = nil, nextToken: String? = nil) {
            self.taskArns = taskArns
            self.nextToken = nextToken
        }
    }

    /// A task definition as DescribeTaskDefinition answers and RegisterTaskDefinition takes it.
    /// Only the members the stack's definition uses are modelled: `TaskDefinitionRegistry` copies
    /// the stack's definition through this type, and a test keeps the template within it.
    public struct TaskDefinition: Codable, Sendable, Equatable {
        public var taskDefinitionArn: String?
        public var family: String
        public var revision: Int?
        /// `ACTIVE`, `INACTIVE` or `DELETE_IN_PROGRESS`.
        public var status: String?
        public var taskRoleArn: String?
        public var executionRoleArn: String?
        public var networkMode: String?
        public var containerDefinitions: [ContainerDefinition]
        public var volumes: [Volume]?
        public var requiresCompatibilities: [String]?
        public var cpu: String?
        public var memory: String?
        public var runtimePlatform: RuntimePlatform?
        public var ephemeralStorage: EphemeralStorage?

        public init(
            family: String, taskRoleArn: String? = nil, executionRoleArn: String? = nil, networkMode: String? = nil,
            containerDefinitions: [ContainerDefinition], volumes: [Volume]? = nil, requiresCompatibilities: [String]? = nil, cpu: String? = nil,
            memory: String? = nil, runtimePlatform: RuntimePlatform? = nil, ephemeralStorage: EphemeralStorage? = nil
        ) {
            self.family = family
            self.taskRoleArn = taskRoleArn
            self.executionRoleArn = executionRoleArn
            self.networkMode = networkMode
            self.containerDefinitions = containerDefinitions
            self.volumes = volumes
            self.requiresCompatibilities = requiresCompatibilities
            self.cpu = cpu
            self.memory = memory
            self.runtimePlatform = runtimePlatform
            self.ephemeralStorage = ephemeralStorage
        }

        /// What RegisterTaskDefinition takes: this definition without what ECS assigns.
        public func registration() -> TaskDefinition {
            var input = self
            input.taskDefinitionArn = nil
            input.revision = nil
            input.status = nil
            return input
        }
    }

    public struct ContainerDefinition: Codable, Sendable, Equatable {
        public var name: String
        public var image: String
        public var essential: Bool?
        public var entryPoint: [String]?
        public var command: [String]?
        public var environment: [KeyValuePair]?
        public var secrets: [Secret]?
        public var mountPoints: [MountPoint]?
        public var dependsOn: [ContainerDependency]?
        public var startTimeout: Int?
        public var stopTimeout: Int?
        public var user: String?
        public var workingDirectory: String?
        public var readonlyRootFilesystem: Bool?
        public var logConfiguration: LogConfiguration?
        public var cpu: Int?
        public var memory: Int?
        public var memoryReservation: Int?

        public init(
            name: String, image: String, essential: Bool? = nil, entryPoint: [String]? = nil, command: [String]? = nil, environment: [KeyValuePair]? = nil,
            mountPoints: [MountPoint]? = nil, dependsOn: [ContainerDependency]? = nil, stopTimeout: Int? = nil, logConfiguration: LogConfiguration? = nil
        ) {
            self.name = name
            self.image = image
            self.essential = essential
            self.entryPoint = entryPoint
            self.command = command
            self.environment = environment
            self.mountPoints = mountPoints
            self.dependsOn = dependsOn
            self.stopTimeout = stopTimeout
            self.logConfiguration = logConfiguration
        }
    }

    public struct Secret: Codable, Sendable, Equatable {
        public var name: String
        public var valueFrom: String
    }

    public struct MountPoint: Codable, Sendable, Equatable {
        public var sourceVolume: String?
        public var containerPath: String?
        public var readOnly: Bool?
        public init(sourceVolume: String, containerPath: String, readOnly: Bool? = nil) {
            self.sourceVolume = sourceVolume
            self.containerPath = containerPath
            self.readOnly = readOnly
        }
    }

    public struct ContainerDependency: Codable, Sendable, Equatable {
        public var containerName: String
        /// `START`, `COMPLETE`, `SUCCESS` or `HEALTHY`.
        public var condition: String
        public init(containerName: String, condition: String) {
            self.containerName = containerName
            self.condition = condition
        }
    }

    /// A Fargate task's volume: with no `host`, its storage lives and dies with the task.
    public struct Volume: Codable, Sendable, Equatable {
        public var name: String?
        public init(name: String) { self.name = name }
    }

    public struct LogConfiguration: Codable, Sendable, Equatable {
        public var logDriver: String
        public var options: [String: String]?
        public init(logDriver: String, options: [String: String]? = nil) {
            self.logDriver = logDriver
            self.options = options
        }
    }

    public struct RuntimePlatform: Codable, Sendable, Equatable {
        public var cpuArchitecture: String?
        public var operatingSystemFamily: String?
    }

    public struct EphemeralStorage: Codable, Sendable, Equatable {
        public var sizeInGiB: Int
    }
}
