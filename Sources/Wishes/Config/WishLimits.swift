import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The limits that keep a typo from costing thousands: every attempt has a timeout (a default
/// for wishes that name none, a maximum for those that do), and one wish may not ask for more
/// vCPUs at once, over all its array children, than the stack allows.
///
/// The web applies them at submit, the dispatcher to wishes sent straight to the queue; the spec
/// that is stored then names its timeout, so the task and the sweep need no setting of their own.
public struct WishLimits: Sendable, Equatable {
    /// `WISHES_DEFAULT_TIMEOUT_SECONDS`: the timeout of an attempt whose wish names none. AWS Batch
    /// has no default and lets a forgotten job run (and bill) until someone stops it; one day
    /// ends a hung task while leaving room for any job that was meant to run long without saying so.
    public var defaultTimeoutSeconds: Int
    /// `WISHES_MAX_TIMEOUT_SECONDS`: the longest timeout a wish may name (14 days, AWS Batch's
    /// limit for Fargate jobs and the API's own, unless the stack sets a shorter one).
    public var maxTimeoutSeconds: Int
    /// `WISHES_MAX_ARRAY_VCPUS`: vCPUs × array size (1 for a plain wish) per wish. The default is
    /// the largest array (10,000) of the smallest size (0.25 vCPU): about $120 an hour on on-demand
    /// Fargate in us-east-1, where 10,000 × 16 vCPU (and 32 GiB), one typo away, would be about $7,900.
    public var maxArrayVCPUs: Double
    /// Where callbacks may go (`WISHES_CALLBACK_ALLOW_LOOPBACK` in a local cloud).
    public var callbacks = CallbackPolicy()
    /// `WISHES_JOB_ROLE_ARNS`: the IAM roles a wish may name as its `jobRoleArn` (comma separated; the
    /// template's `JobRoleArns`, which the task role may assume and nothing else). Empty: no wish may name one.
    public var jobRoleArns: [String]
    /// `WISHES_QUEUE_MAX_VCPUS` (`default=256,asap=64`): the vCPUs a queue's tasks may hold at once, as
    /// a Batch compute environment's `maxvCpus`. Wishes over it wait, without failing; a queue not
    /// named has no cap of its own (Fargate's account quota still applies).
    public var queueMaxVCPUs: [WishQueue: Double] = [:]

    public static let defaultTimeout = 86_400
    public static let maxTimeout = WishSpec.maxTimeoutSeconds
    public static let defaultMaxArrayVCPUs = 2_500.0

    public init(
        defaultTimeoutSeconds: Int = WishLimits.defaultTimeout, maxTimeoutSeconds: Int = WishLimits.maxTimeout,
        maxArrayVCPUs: Double = WishLimits.defaultMaxArrayVCPUs, jobRoleArns: [String] = []
    ) {
        self.jobRoleArns = jobRoleArns
        self.defaultTimeoutSeconds = defaultTimeoutSeconds
        self.maxTimeoutSeconds = maxTimeoutSeconds
        self.maxArrayVCPUs = maxArrayVCPUs
    }

    /// Reads the variables; unset or empty means the default. A value that cannot work (not a
    /// number, a default above the maximum) stops the program at start, not the first wish.
    public static func fromEnvironment(_ environment: [String: String]) throws(SettingsError) -> WishLimits {
        var limits = WishLimits()
        func text(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let timeouts = 60...WishSpec.maxTimeoutSeconds
        if let value = text("WISHES_MAX_TIMEOUT_SECONDS") {
            guard let seconds = Int(value), timeouts.contains(seconds) else {
                throw .invalid("WISHES_MAX_TIMEOUT_SECONDS", "must be whole seconds from 60 to \(WishSpec.maxTimeoutSeconds), not '\(value)'")
            }
            limits.maxTimeoutSeconds = seconds
        }
        if let value = text("WISHES_DEFAULT_TIMEOUT_SECONDS") {
            guard let seconds = Int(value), timeouts.contains(seconds) else {
                throw .invalid("WISHES_DEFAULT_TIMEOUT_SECONDS", "must be whole seconds from 60 to \(WishSpec.maxTimeoutSeconds), not '\(value)'")
            }
            limits.defaultTimeoutSeconds = seconds
        }
        guard limits.defaultTimeoutSeconds <= limits.maxTimeoutSeconds else {
            throw .invalid(
                "WISHES_DEFAULT_TIMEOUT_SECONDS",
                "\(limits.defaultTimeoutSeconds) is above WISHES_MAX_TIMEOUT_SECONDS (\(limits.maxTimeoutSeconds)); lower it or raise the maximum")
        }
        if let value = text("WISHES_MAX_ARRAY_VCPUS") {
            guard let vcpus = Double(value), vcpus.isFinite, vcpus >= FargateSize.table[0].vcpus else {
                throw .invalid("WISHES_MAX_ARRAY_VCPUS", "must be a number of vCPUs, at least \(FargateSize.table[0].vcpus.decimalText), not '\(value)'")
            }
            limits.maxArrayVCPUs = vcpus
        }
        limits.callbacks = CallbackPolicy.fromEnvironment(environment)
        limits.jobRoleArns = try JobRole.list(environment["WISHES_JOB_ROLE_ARNS"])
        if let value = text("WISHES_QUEUE_MAX_VCPUS") { limits.queueMaxVCPUs = try queueCaps(value) }
        return limits
    }

    /// `queue=vCPUs` pairs, comma separated; each cap must fit the largest task (16 vCPU) or the
    /// smallest, so that every wish the queue accepts can run under it.
    static func queueCaps(_ text: String) throws(SettingsError) -> [WishQueue: Double] {
        var caps: [WishQueue: Double] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            guard parts.count == 2, let queue = WishQueue(rawValue: parts[0]) else {
                throw .invalid(
                    "WISHES_QUEUE_MAX_VCPUS", "'\(pair)' is not queue=vCPUs with a queue of \(WishQueue.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let vcpus = Double(parts[1]), vcpus.isFinite, vcpus >= FargateSize.table[0].vcpus else {
                throw .invalid(
                    "WISHES_QUEUE_MAX_VCPUS",
                    "\(queue.rawValue)'s cap must be a number of vCPUs, at least \(FargateSize.table[0].vcpus.decimalText), not '\(parts[1])'")
            }
            caps[queue] = vcpus
        }
        return caps
    }

    /// The spec with its timeout filled in, or every limit it breaks named by field.
    public func apply(to spec: WishSpec) throws(WishValidationError) -> WishSpec {
        var spec = spec
        var problems: [WishValidationError.Problem] = []
        if let timeout = spec.timeoutSeconds {
            if timeout > maxTimeoutSeconds {
                problems.append(
                    .init(field: "timeoutSeconds", rule: "must be at most \(maxTimeoutSeconds) s here (WISHES_MAX_TIMEOUT_SECONDS), not \(timeout)"))
            }
        } else {
            spec.timeoutSeconds = defaultTimeoutSeconds
        }
        if let text = spec.callbackUrl {
            do { try callbacks.judge(CallbackURL.parse(text)) } catch { problems.append(.init(field: "callbackUrl", rule: error.description)) }
        }
        let children = spec.arraySize ?? 1
        let total = spec.vcpus * Double(children)
        if total > maxArrayVCPUs {
            let field = spec.arraySize == nil ? "vcpus" : "arraySize"
            let asked = spec.arraySize.map { "\($0) × \(spec.vcpus.decimalText) vCPU = \(total.decimalText) vCPU" } ?? "\(spec.vcpus.decimalText) vCPU"
            problems.append(
                .init(
                    field: field,
                    rule:
                        "\(asked) is over the \(maxArrayVCPUs.decimalText) vCPU a wish may use at once here (WISHES_MAX_ARRAY_VCPUS); split the array or ask for smaller tasks"
                ))
        }
        if let cap = queueMaxVCPUs[spec.queue], spec.vcpus > cap {
            problems.append(
                .init(
                    field: "vcpus",
                    rule:
                        "\(spec.vcpus.decimalText) vCPU is over queue \(spec.queue.rawValue)'s cap of \(cap.decimalText) vCPU here (WISHES_QUEUE_MAX_VCPUS): it could never start; ask for a smaller task or another queue"
                ))
        }
        if let role = spec.jobRoleArn, !jobRoleArns.contains(role) {
            let allowed = jobRoleArns.isEmpty ? "this stack allows none" : "allowed: \(jobRoleArns.joined(separator: ", "))"
            problems.append(.init(field: "jobRoleArn", rule: "\(role) is not a job role of this stack (WISHES_JOB_ROLE_ARNS; \(allowed))"))
        }
        if !problems.isEmpty { throw WishValidationError(problems: problems) }
        return spec
    }
}
