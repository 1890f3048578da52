import Crypto
import Logging
import WishesAWS

/// The ECS task definition a wish's image runs from.
///
/// A wish without an image runs from the stack's definition as it is. A wish naming an image runs
/// from a copy of it in which only the user container's image differs: its entry point stays
/// `/wishes-bin/CountToThree`, which the init container from the Wishes image puts in the shared
/// volume, so any Linux image runs the same supervisor. The copy's family is derived from the
/// stack's revision and the image, so every Lambda environment finds the same one instead of
/// registering its own (RegisterTaskDefinition is limited to about one call a second per account),
/// and a new stack revision gets new copies. The job role needs no copy of its own: the task
/// assumes it for the command (see `AttemptRunner`), the task role stays the stack's.
actor TaskDefinitionRegistry {
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// ECS refused the copy for this image: the wish cannot run, and saying so beats retrying.
        case refused(image: String, reason: String)
        /// The stack's own definition is missing or has no user container: a deployment problem.
        case unusableBase(name: String, reason: String)

        var description: String {
            switch self {
            case .refused(let image, let reason): "ECS refused a task definition for the image \(image): \(reason)"
            case .unusableBase(let name, let reason): "the stack's task definition \(name) cannot be used: \(reason)"
            }
        }
    }

    private var arns: [String: String] = [:]
    private var base: ECS.TaskDefinition?
    /// One lookup at a time: a batch of ten wishes on a new image registers it once, not ten times.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// The definition to RunTask for `image` (`baseName` itself when the image is nil or the stack's own).
    func taskDefinition(for image: String?, baseName: String, containerName: String, ecs: ECSClient, logger: Logger) async throws -> String {
        guard let image else { return baseName }
        if let arn = arns[image] { return arn }
        await acquire()
        defer { release() }
        if let arn = arns[image] { return arn }
        let base = try await baseDefinition(baseName, ecs: ecs)
        guard let copy = try Self.copy(of: base, named: baseName, image: image, containerName: containerName) else {
            arns[image] = baseName
            return baseName
        }
        let wanted = copy.registration()
        switch await Self.outcome({ () async throws(AWSClientError) in try await ecs.describeTaskDefinition(copy.family) }) {
        case .success(let found):
            if found.status == "ACTIVE", found.registration() == wanted, let arn = found.taskDefinitionArn {
                arns[image] = arn
                return arn
            }
        case .failure(let error) where error.isCode(.clientException):
            break  // Not registered yet: the usual answer for a new image.
        case .failure(let error):
            throw Self.retryable(error)
        }
        switch await Self.outcome({ () async throws(AWSClientError) in try await ecs.registerTaskDefinition(wanted) }) {
        case .success(let registered):
            guard let arn = registered.taskDefinitionArn else {
                throw DispatchError.launchFailed(reason: "RegisterTaskDefinition answered without an ARN")
            }
            logger.info("task definition registered for an image", metadata: ["image": "\(image)", "taskDefinitionArn": "\(arn)"])
            arns[image] = arn
            return arn
        case .failure(let error) where error.isCode(.clientException, "InvalidParameterException"):
            throw Failure.refused(image: image, reason: error.serviceError?.message ?? "\(error)")
        case .failure(let error):
            throw Self.retryable(error)
        }
    }

    /// The stack's definition with `image` in the wish's container, or nil when it is the stack's own.
    static func copy(of base: ECS.TaskDefinition, named baseName: String, image: String, containerName: String) throws(Failure) -> ECS.TaskDefinition? {
        guard let baseArn = base.taskDefinitionArn, let user = base.containerDefinitions.firstIndex(where: { $0.name == containerName }) else {
            throw Failure.unusableBase(name: baseName, reason: "no container named \(containerName), or no ARN in ECS's answer")
        }
        if base.containerDefinitions[user].image == image { return nil }
        var copy = base
        copy.family = family(base: base.family, baseArn: baseArn, image: image)
        copy.containerDefinitions[user].image = image
        return copy
    }

    /// `{base family}-{16 hex}`: the stack's family first, so the event rule and the IAM grants
    /// that name `count-to-three*` cover every copy.
    static func family(base: String, baseArn: String, image: String) -> String {
        let digest = SHA256.hash(data: Array("\(baseArn)\n\(image)".utf8))
        return base + "-" + digest.prefix(8).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    private func baseDefinition(_ name: String, ecs: ECSClient) async throws -> ECS.TaskDefinition {
        if let base { return base }
        switch await Self.outcome({ () async throws(AWSClientError) in try await ecs.describeTaskDefinition(name) }) {
        case .success(let found):
            base = found
            return found
        case .failure(let error) where error.isCode(.clientException):
            throw Failure.unusableBase(name: name, reason: error.serviceError?.message ?? "\(error)")
        case .failure(let error):
            throw Self.retryable(error)
        }
    }

    private static func outcome<T>(_ call: () async throws(AWSClientError) -> T) async -> Result<T, AWSClientError> {
        do { return .success(try await call()) } catch { return .failure(error) }
    }

    /// Throttling waits as a throttled RunTask does; anything else comes back with the message.
    private static func retryable(_ error: AWSClientError) -> any Error {
        if error.serviceError?.isThrottling == true { return DispatchError.noCapacity(reason: "\(error)", pool: Dispatcher.throttled) }
        return error
    }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the turn straight to the next waiter, so `busy` stays set for it.
    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
