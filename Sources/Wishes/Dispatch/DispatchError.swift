import WishesAWS

/// Why the dispatcher could not handle an event or a record.
public enum DispatchError: Error, Equatable, CustomStringConvertible {
    /// The event is not one this function handles; Lambda records it as a failed invocation.
    case badEvent(String)
    /// RunTask answered with `failures[]` (capacity, throttling inside ECS): the record comes back later.
    case launchFailed(reason: String)
    /// The function's deadline was too near to start this record.
    case outOfTime
    /// RunTask refused for want of capacity (Spot, or the account's Fargate quota) or throttled it:
    /// the launch waits and tries again, without spending the message's receives. `pool` is the
    /// capacity provider that was short, or `Dispatcher.throttled` when the call was throttled.
    case noCapacity(reason: String, pool: String)

    public var description: String {
        switch self {
        case .badEvent(let reason): "bad event: \(reason)"
        case .launchFailed(let reason): "RunTask did not start the task: \(reason); the message will be retried"
        case .outOfTime: "not started: the invocation's deadline was too near; the message will be retried"
        case .noCapacity(let reason, _): "no capacity to start the task now: \(reason)"
        }
    }
}
