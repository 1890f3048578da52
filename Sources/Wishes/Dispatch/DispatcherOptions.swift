/// The dispatcher's knobs, with the values AWS runs with; the local cloud and tests shorten the waits.
public struct DispatcherOptions: Sendable, Equatable {
    /// How often a wish waiting for dependencies is looked at again (`WISHES_RECHECK_SECONDS`).
    public var recheckSeconds = 30
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
    /// Callback POSTs: tries and the limit of each.
    public var callbackAttempts = 3
    public var callbackTimeoutSeconds = 5

    public init() {}

    public static func fromEnvironment(_ environment: [String: String]) -> DispatcherOptions {
        var options = DispatcherOptions()
        func int(_ name: String) -> Int? { environment[name].flatMap(Int.init).flatMap { $0 >= 0 ? $0 : nil } }
        options.recheckSeconds = int("WISHES_RECHECK_SECONDS") ?? options.recheckSeconds
        options.retryBaseSeconds = int("WISHES_RETRY_BASE_SECONDS") ?? options.retryBaseSeconds
        options.stuckSeconds = int("WISHES_STUCK_SECONDS") ?? options.stuckSeconds
        options.fanOutChunk = max(10, int("WISHES_FAN_OUT_CHUNK") ?? options.fanOutChunk)
        return options
    }
}
