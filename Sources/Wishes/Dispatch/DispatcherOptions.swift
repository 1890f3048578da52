import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The dispatcher's knobs, with the values AWS runs with; the local cloud and tests shorten the waits.
public struct DispatcherOptions: Sendable, Equatable {
    /// How often a wish waiting for dependencies is looked at again (`WISHES_RECHECK_SECONDS`).
    public var recheckSeconds = 30
    /// How long after its id's time a dependency that nothing stored is still waited for
    /// (`WISHES_UNKNOWN_DEPENDENCY_SECONDS`): its message may be behind in the queue.
    public var unknownDependencyGraceSeconds = 3_600
    /// Base of the jittered backoff before a retried attempt (`WISHES_RETRY_BASE_SECONDS`).
    public var retryBaseSeconds = 10
    /// Children an array wish enqueues per message handled; the rest go on in a continuation message.
    public var fanOutChunk = 500
    /// Records of one batch handled at once.
    public var maxConcurrentRecords = 10
    /// No record is started with less time than this left before the invocation's deadline.
    public var deadlineMarginSeconds = 3.0
    /// A launched attempt not RUNNING after this long is reported by the sweep (`WISHES_STUCK_SECONDS`).
    public var stuckSeconds = 900
    /// A stopped task whose end no event recorded is handled by the sweep once it has been stopped this
    /// long (its event had the time to come) and until this long (ECS lists stopped tasks for an hour).
    public var recoverAfterSeconds = 120
    /// The sweep's period (`WISHES_SWEEP_PERIOD_SECONDS`, the schedule's rate): a stopped task is
    /// looked at by about five sweeps (its window is five periods long), so a lost tick or two misses
    /// nothing, and a sweep reads one status per task stopped in that window, not per task of the hour.
    public var sweepPeriodSeconds = 60
    public var recoverWithinSeconds: Int { recoverAfterSeconds + 5 * sweepPeriodSeconds }
    /// Launches refused for capacity or throttling: the first wait's ceiling (doubling, 15 minutes
    /// at most, jittered), the refusals after which a Spot queue's attempt runs on on-demand
    /// Fargate, and the launches after which the wish ends FAILED (about 4 hours at 15 minutes).
    public var capacityBackoffSeconds = 30
    public var onDemandAfterCapacityFailures = 3
    public var maxLaunchTries = 20
    /// After an asap launch is refused for capacity, default launches wait this long
    /// (`WISHES_ASAP_FIRST_SECONDS`), so what frees up goes to asap first.
    public var asapFirstSeconds = 60
    /// The longest a default wish is held for asap (`WISHES_ASAP_FIRST_MAX_HOLD_SECONDS`); after it, it
    /// goes and meets capacity like any launch (backoff, on-demand, and its end if none comes).
    public var asapFirstMaxHoldSeconds = 1_800
    /// How old the cluster's load and the asap mark may be when a launch is judged on them: the
    /// caps hold to within what the environments launch in this long.
    public var gateRefreshSeconds = 5
    /// The first wait of a wish held by its queue's cap or by asap (doubling to 15 minutes, jittered):
    /// such a wait is not a failure and is never counted against the wish.
    public var gateWaitSeconds = 10
    /// The waits between a callback's tries (`WISHES_CALLBACK_RETRY_SECONDS`, comma-separated):
    /// Standard Webhooks' schedule, 5 s to 10 h, eight tries over about a day.
    public var callbackRetrySeconds = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
    /// The limit of one callback try, connection included.
    public var callbackTimeoutSeconds = 10

    public init() {}

    public static func fromEnvironment(_ environment: [String: String]) -> DispatcherOptions {
        var options = DispatcherOptions()
        func int(_ name: String) -> Int? { environment[name].flatMap(Int.init).flatMap { $0 >= 0 ? $0 : nil } }
        options.recheckSeconds = int("WISHES_RECHECK_SECONDS") ?? options.recheckSeconds
        options.retryBaseSeconds = int("WISHES_RETRY_BASE_SECONDS") ?? options.retryBaseSeconds
        options.stuckSeconds = int("WISHES_STUCK_SECONDS") ?? options.stuckSeconds
        options.recoverAfterSeconds = int("WISHES_RECOVER_AFTER_SECONDS") ?? options.recoverAfterSeconds
        options.sweepPeriodSeconds = max(1, int("WISHES_SWEEP_PERIOD_SECONDS") ?? options.sweepPeriodSeconds)
        options.capacityBackoffSeconds = max(1, int("WISHES_CAPACITY_BACKOFF_SECONDS") ?? options.capacityBackoffSeconds)
        options.asapFirstSeconds = int("WISHES_ASAP_FIRST_SECONDS") ?? options.asapFirstSeconds
        options.asapFirstMaxHoldSeconds = int("WISHES_ASAP_FIRST_MAX_HOLD_SECONDS") ?? options.asapFirstMaxHoldSeconds
        options.gateWaitSeconds = max(1, int("WISHES_GATE_WAIT_SECONDS") ?? options.gateWaitSeconds)
        options.unknownDependencyGraceSeconds = int("WISHES_UNKNOWN_DEPENDENCY_SECONDS") ?? options.unknownDependencyGraceSeconds
        options.fanOutChunk = max(10, int("WISHES_FAN_OUT_CHUNK") ?? options.fanOutChunk)
        if let text = environment["WISHES_CALLBACK_RETRY_SECONDS"] {
            let waits = text.split(separator: ",").compactMap { Int($0.trimmingSpaces()) }.filter { $0 >= 0 }
            if !waits.isEmpty { options.callbackRetrySeconds = waits }
        }
        return options
    }
}
