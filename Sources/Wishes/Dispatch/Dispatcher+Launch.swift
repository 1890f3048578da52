import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Dispatcher {
    /// Claims the attempt and starts its task, once, however often the message comes.
    ///
    /// `seen` is the wish's status as read before: once an attempt is launched it names the
    /// attempt's task, which is how a repeated delivery knows to stop here, and the status merge
    /// starts from it.
    func launch(_ message: WishMessage, spec: WishSpec, seen: StatusStore.Snapshot, logger: Logger) async throws {
        let identity = TaskIdentity(subject: message.subject, attempt: message.attempt ?? 1)
        guard let baseName = settings.taskDefinition else { throw SettingsError.missing(["WISHES_TASK_DEFINITION"]) }
        // Before the claim: an image ECS refuses ends the wish, with nothing claimed or launched.
        let taskDefinition: String
        do {
            taskDefinition = try await taskDefinitions.taskDefinition(
                for: spec.image, baseName: baseName, containerName: settings.containerName, ecs: aws.ecs, logger: logger)
        } catch let failure as TaskDefinitionRegistry.Failure {
            if case .refused = failure { return try await finish(message.subject, .failed, reason: "\(failure)", logger: logger) }
            throw DispatchError.launchFailed(reason: "\(failure)")
        }
        let token = Self.clientToken(identity, launchTry: message.launchTries ?? 0)
        let record = LaunchRecord(clientToken: token, claimedAt: clock.now)
        let claimed = try await store.claim(identity, record)
        if !claimed {
            if let launched = seen.status?.attempts.first(where: { $0.number == identity.attempt && $0.taskArn != nil }) {
                // The in-flight entry is written beside the status (below): a delivery that stopped
                // after the status but before the entry leaves it to this one, and the sweep needs it.
                if launched.settled != true, let taskArn = launched.taskArn { try await store.markInFlight(identity, taskArn: taskArn) }
                logger.info(
                    "attempt already launched; duplicate message dropped", metadata: ["attempt": "\(identity.attempt)", "taskArn": "\(launched.taskArn ?? "")"])
                return
            }
            // A launch refused for capacity hands the attempt to a new message and a new token (the
            // claim names it): an older message coming again must not launch with its own.
            if let current = try await store.claimRecord(identity), current.clientToken != token {
                logger.info("stale launch message dropped; a later try holds the attempt", metadata: ["attempt": "\(identity.attempt)"])
                return
            }
            // Claimed but not yet recorded: a crash after the claim, or a delivery racing us.
            // RunTask with the same clientToken returns the task it already started, never a second one.
            logger.info("attempt claimed earlier without a task; launching with the same client token", metadata: ["attempt": "\(identity.attempt)"])
        }
        let output: ECS.RunTaskOutput
        let pool = message.onDemand == true ? "FARGATE" : spec.queue.capacityProvider
        do {
            output = try await aws.ecs.runTask(
                runTaskInput(identity, spec: spec, taskDefinition: taskDefinition, onDemand: message.onDemand == true, clientToken: token))
        } catch {
            if let error = error as? AWSClientError, error.serviceError?.isThrottling == true {
                throw DispatchError.noCapacity(reason: "\(error)", pool: Self.throttled)
            }
            throw error
        }
        guard let task = output.tasks?.first, let taskArn = task.taskArn else {
            let failure = output.failures?.first
            let reason = [failure?.reason, failure?.detail].compactMap { $0 }.joined(separator: ": ").nonEmpty ?? "no task and no failure in the answer"
            // ECS says "Capacity is unavailable at this time" for Spot, RESOURCE:* when out of room.
            if reason.lowercased().firstRange(of: "capacity") != nil || reason.hasPrefix("RESOURCE:") {
                throw DispatchError.noCapacity(reason: reason, pool: pool)
            }
            throw DispatchError.launchFailed(reason: reason)
        }
        // The claim stays as it is: the status (for repeated deliveries) is where the task is
        // recorded. ECS lists tasks in flight and for an hour after they stop; the in-flight entry
        // outlives that, so an attempt whose task ECS has forgotten is still found (`sweepInFlight`).
        // The two writes go together, one round trip instead of two; if this delivery stops between
        // them, the message comes back and the duplicate path above writes the entry.
        let now = clock.now
        async let markedInFlight: Void = store.markInFlight(identity, taskArn: taskArn)
        let status = try await statuses.merge(
            WishStatus(
                id: identity.subject.id, arrayIndex: identity.subject.arrayIndex, updatedAt: now,
                attempts: [AttemptStatus(number: identity.attempt, state: .runnable, taskArn: taskArn)]), seen: seen)
        try await markedInFlight
        logger.info(
            "task launched", metadata: ["attempt": "\(identity.attempt)", "taskArn": "\(taskArn)", "capacityProvider": "\(spec.queue.capacityProvider)"])
        // A cancel that landed between the check before RunTask and now: the merge (or, for a child,
        // its parent's status read again) shows it, and the task is stopped at once.
        var cancelled = status.cancelRequestedAt != nil
        if !cancelled, identity.subject.arrayIndex != nil, let parent = try await statuses.read(WishSubject(id: identity.subject.id)) {
            cancelled = parent.cancelRequestedAt != nil || parent.isFinal
        }
        if cancelled {
            try await aws.ecs.stopTask(cluster: settings.cluster, task: taskArn, reason: "cancelled by a user")
            logger.info("wish cancelled while its task was launched; task stopped", metadata: ["taskArn": "\(taskArn)"])
        }
    }

    /// The RunTask request for one attempt: Spot or on-demand by queue, the wish's size, and who it is.
    /// The largest spec passed in the overrides (ECS allows 8,192 characters for all of them).
    static let maxPassedSpecBytes = 6_144

    /// The attempt's token, and a new one for each launch after a refusal: the request may change
    /// (on-demand instead of Spot), and ECS keeps a token's answer, refusal included.
    static func clientToken(_ identity: TaskIdentity, launchTry: Int) -> String {
        launchTry == 0 ? identity.clientToken : "\(identity.clientToken)_\(launchTry)"
    }

    /// `taskDefinition` is the image's (`TaskDefinitionRegistry`); nil is the stack's own.
    func runTaskInput(
        _ identity: TaskIdentity, spec: WishSpec, taskDefinition: String? = nil, onDemand: Bool = false, clientToken: String? = nil
    ) throws -> ECS.RunTaskInput {
        guard let taskDefinition = taskDefinition ?? settings.taskDefinition else { throw SettingsError.missing(["WISHES_TASK_DEFINITION"]) }
        var environment = [
            ECS.KeyValuePair(name: "WISH_ID", value: identity.subject.id.rawValue),
            ECS.KeyValuePair(name: "WISH_ATTEMPT", value: String(identity.attempt)),
            ECS.KeyValuePair(name: "WISHES_BUCKET", value: settings.bucket),
        ]
        if !settings.prefix.isEmpty { environment.append(.init(name: "WISHES_PREFIX", value: settings.prefix)) }
        // The task gets the spec from its launcher rather than reading it back, when it fits ECS's
        // 8 KiB of overrides with room for the rest; values of `environment` never ride here.
        if let passed = try? WishJSON.encode(spec.redacted), passed.count <= Self.maxPassedSpecBytes {
            environment.append(.init(name: "WISHES_SPEC", value: String(decoding: passed, as: UTF8.self)))
        }
        if let index = identity.subject.arrayIndex, let size = spec.arraySize {
            environment += [
                .init(name: "WISH_ARRAY_INDEX", value: String(index)),
                .init(name: "WISH_ARRAY_SIZE", value: String(size)),
                .init(name: "AWS_BATCH_JOB_ARRAY_INDEX", value: String(index)),
            ]
        }
        var tags = [
            ECS.Tag(key: "wish-id", value: identity.subject.id.rawValue), ECS.Tag(key: "wish-attempt", value: String(identity.attempt)),
            ECS.Tag(key: "wish-queue", value: spec.queue.rawValue),
        ]
        if let index = identity.subject.arrayIndex { tags.append(ECS.Tag(key: "wish-array-index", value: String(index))) }
        if let timeout = spec.timeoutSeconds { tags.append(ECS.Tag(key: Self.timeoutTag, value: String(timeout))) }
        let network =
            settings.subnets.isEmpty
            ? nil
            : ECS.NetworkConfiguration(
                awsvpcConfiguration: .init(
                    subnets: settings.subnets, securityGroups: settings.securityGroups.isEmpty ? nil : settings.securityGroups,
                    assignPublicIp: settings.assignPublicIP ? "ENABLED" : "DISABLED"))
        return ECS.RunTaskInput(
            cluster: settings.cluster, taskDefinition: taskDefinition, count: 1, clientToken: clientToken ?? identity.clientToken,
            capacityProviderStrategy: [.init(capacityProvider: onDemand ? "FARGATE" : spec.queue.capacityProvider, weight: 1)],
            networkConfiguration: network,
            overrides: ECS.TaskOverride(
                containerOverrides: [.init(name: settings.containerName, environment: environment)],
                cpu: String(Int(spec.vcpus * 1024)), memory: String(spec.memory)),
            tags: tags, startedBy: identity.startedBy, group: Self.groupPrefix + spec.queue.rawValue, enableECSManagedTags: true)
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
