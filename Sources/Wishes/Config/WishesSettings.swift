import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where Wishes keeps things and launches tasks, read from the environment that the
/// CloudFormation template (and the local cloud) sets.
public struct WishesSettings: Sendable, Equatable {
    /// `WISHES_BUCKET`: specs, statuses, outputs and results.
    public var bucket: String
    /// `WISHES_PREFIX`: key prefix inside the bucket.
    public var prefix: String
    /// `WISHES_QUEUE_URL`, `WISHES_ASAP_QUEUE_URL`: where wishes wait.
    public var queueURL: String?
    public var asapQueueURL: String?
    /// `WISHES_CLUSTER`, `WISHES_TASK_DEFINITION`, `WISHES_CONTAINER_NAME`: what RunTask starts.
    public var cluster: String?
    public var taskDefinition: String?
    public var containerName: String
    /// `WISHES_SUBNETS`, `WISHES_SECURITY_GROUPS` (comma-separated), `WISHES_ASSIGN_PUBLIC_IP`.
    public var subnets: [String]
    public var securityGroups: [String]
    public var assignPublicIP: Bool
    /// `WISHES_DEFAULT_TIMEOUT_SECONDS`, `WISHES_MAX_TIMEOUT_SECONDS`, `WISHES_MAX_ARRAY_VCPUS`, `WISHES_JOB_ROLE_ARNS`: what one wish may ask for.
    public var limits: WishLimits
    /// `WISHES_SECRETS_KMS_KEY`: the customer-managed key a wish's environment is encrypted with
    /// (SSE-KMS), which only the task role may decrypt with; unset, S3's own keys are used.
    public var secretsKeyID: String?
    /// `WISHES_CALLBACK_SECRET_ARN`: the Secrets Manager secret that callbacks are signed with.
    public var callbackSecretID: String?

    /// Where each attempt's CloudWatch log stream is (the task definition's awslogs options).
    public var taskLogs = TaskLogs()

    public var layout: S3Layout { S3Layout(prefix: prefix) }

    public init(
        bucket: String, prefix: String = "", queueURL: String? = nil, asapQueueURL: String? = nil, cluster: String? = nil,
        taskDefinition: String? = nil, containerName: String = DeployedNames.container, subnets: [String] = [],
        securityGroups: [String] = [], assignPublicIP: Bool = false, limits: WishLimits = WishLimits(), secretsKeyID: String? = nil,
        callbackSecretID: String? = nil
    ) {
        self.bucket = bucket
        self.prefix = prefix
        self.queueURL = queueURL
        self.asapQueueURL = asapQueueURL
        self.cluster = cluster
        self.taskDefinition = taskDefinition
        self.containerName = containerName
        self.subnets = subnets
        self.securityGroups = securityGroups
        self.assignPublicIP = assignPublicIP
        self.limits = limits
        self.secretsKeyID = secretsKeyID
        self.callbackSecretID = callbackSecretID
    }

    /// Reads the settings; `required` names the variables this binary cannot run without.
    public static func fromEnvironment(_ environment: [String: String], required: [String] = ["WISHES_BUCKET"]) throws(SettingsError) -> WishesSettings {
        let missing = required.filter { (environment[$0] ?? "").isEmpty }
        guard missing.isEmpty else { throw .missing(missing) }
        func list(_ name: String) -> [String] {
            (environment[name] ?? "").split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        }
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var settings = WishesSettings(
            bucket: environment["WISHES_BUCKET"] ?? "", prefix: environment["WISHES_PREFIX"] ?? "",
            queueURL: value("WISHES_QUEUE_URL"), asapQueueURL: value("WISHES_ASAP_QUEUE_URL"),
            cluster: value("WISHES_CLUSTER"), taskDefinition: value("WISHES_TASK_DEFINITION"),
            containerName: value("WISHES_CONTAINER_NAME") ?? DeployedNames.container,
            subnets: list("WISHES_SUBNETS"), securityGroups: list("WISHES_SECURITY_GROUPS"),
            assignPublicIP: environment["WISHES_ASSIGN_PUBLIC_IP"]?.uppercased() == "ENABLED" || environment["WISHES_ASSIGN_PUBLIC_IP"] == "true",
            limits: try WishLimits.fromEnvironment(environment), secretsKeyID: value("WISHES_SECRETS_KMS_KEY"),
            callbackSecretID: value("WISHES_CALLBACK_SECRET_ARN"))
        settings.taskLogs = TaskLogs(
            group: value("WISHES_TASK_LOG_GROUP") ?? TaskLogs.defaultGroup,
            streamPrefix: value("WISHES_TASK_LOG_STREAM_PREFIX") ?? TaskLogs.defaultStreamPrefix,
            containerName: settings.containerName, region: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1")
        return settings
    }

    /// The queue a wish of `queue` goes to.
    public func queueURL(for queue: WishQueue) -> String? {
        queue.isASAP ? (asapQueueURL ?? queueURL) : queueURL
    }
}

public enum SettingsError: Error, Equatable, CustomStringConvertible {
    case missing([String])
    /// A variable is set to a value that cannot work: its name, and what it must be.
    case invalid(String, String)

    public var description: String {
        switch self {
        case .missing(let names): "missing configuration: set \(names.joined(separator: ", ")) in the environment"
        case .invalid(let name, let rule): "invalid configuration: \(name) \(rule)"
        }
    }
}
