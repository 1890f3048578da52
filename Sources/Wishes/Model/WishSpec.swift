#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One wish as the API takes it and the queue carries it: the fields of AWS Batch's `SubmitJob`.
public struct WishSpec: Sendable, Codable, Equatable {
    public var wish: String
    public var name: String?
    public var command: [String]?
    public var environment: [EnvironmentVariable]?
    public var vcpus: Double
    public var memory: Int
    public var queue: WishQueue
    public var attempts: Int
    public var timeoutSeconds: Int?
    public var arraySize: Int?
    /// What must succeed first (`WishDependency`): whole wishes, or on an array child for child.
    public var dependsOn: [WishDependency]?
    public var notBefore: Date?
    public var callbackUrl: String?
    /// AWS Batch's `retryStrategy.evaluateOnExit`: which failures are retried.
    public var evaluateOnExit: [ExitRule]?
    /// The IAM role whose keys the command gets (one of `WISHES_JOB_ROLE_ARNS`); without one it has none.
    public var jobRoleArn: String?
    /// The job definition the wish was made from, as `name:revision`; nil is the built-in one.
    public var jobDefinition: String?
    /// The container image the command runs in (the definition's); nil is Wishes' default image.
    public var image: String?
    /// The parameters that filled the command's `Ref::` placeholders (the definition's defaults under the wish's own).
    public var parameters: [String: String]?

    public struct EnvironmentVariable: Sendable, Codable, Equatable {
        public var name: String
        /// Nil in the stored copy that pages and APIs read: values reach the task only.
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public static let defaultVCPUs = 0.25
    public static let defaultMemory = 512

    public init(
        wish: String, name: String? = nil, command: [String]? = nil, environment: [EnvironmentVariable]? = nil,
        vcpus: Double = WishSpec.defaultVCPUs, memory: Int = WishSpec.defaultMemory, queue: WishQueue = .default,
        attempts: Int = 1, timeoutSeconds: Int? = nil, arraySize: Int? = nil, dependsOn: [WishDependency]? = nil,
        notBefore: Date? = nil, callbackUrl: String? = nil, evaluateOnExit: [ExitRule]? = nil,
        jobRoleArn: String? = nil
    ) {
        self.evaluateOnExit = evaluateOnExit
        self.jobRoleArn = jobRoleArn
        self.wish = wish
        self.name = name
        self.command = command
        self.environment = environment
        self.vcpus = vcpus
        self.memory = memory
        self.queue = queue
        self.attempts = attempts
        self.timeoutSeconds = timeoutSeconds
        self.arraySize = arraySize
        self.dependsOn = dependsOn
        self.notBefore = notBefore
        self.callbackUrl = callbackUrl
    }

    /// The copy that may be shown: environment names kept, values removed.
    public var redacted: WishSpec {
        var copy = self
        copy.environment = environment?.map { EnvironmentVariable(name: $0.name, value: nil) }
        return copy
    }

    /// The environment values, by name, for the task alone.
    public var secrets: [String: String] {
        Dictionary(environment?.compactMap { variable in variable.value.map { (variable.name, $0) } } ?? [], uniquingKeysWith: { _, last in last })
    }

    /// Puts values back into a redacted spec.
    public func restoring(secrets: [String: String]) -> WishSpec {
        var copy = self
        copy.environment = environment?.map { EnvironmentVariable(name: $0.name, value: secrets[$0.name] ?? $0.value) }
        return copy
    }
}
