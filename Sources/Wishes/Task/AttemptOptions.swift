import WishesAWS

/// How an attempt runs, from the environment ECS gives the task (the dispatcher's overrides).
public struct AttemptOptions: Sendable, Equatable {
    public var identity: TaskIdentity
    /// `WISHES_COUNT_INTERVAL_SECONDS`: the pause between counts (1 s; 0 in tests).
    public var countInterval: Duration = .seconds(1)
    /// `WISHES_KILL_GRACE_SECONDS`: SIGTERM to SIGKILL, on timeout and on interruption. Fargate gives
    /// 30 s by default (stopTimeout) and Spot two minutes, so the default leaves room to write the result.
    public var killGrace: Duration = .seconds(20)
    /// `WISHES_OUTPUT_LIMIT_BYTES`: output kept per attempt (head and tail).
    public var outputLimit = 1 << 20
    /// Output goes to S3 this often while the command runs, or sooner once this much is new.
    public var flushInterval: Duration = .seconds(2)
    public var flushBytes = 64 << 10
    /// `WISHES_SPEC`: the stored spec (no environment values) as the dispatcher passed it in RunTask's
    /// overrides, so the task need not read back what its launcher already had. Nil when it did not
    /// fit the overrides' 8 KiB; the task then reads `spec.json`.
    public var spec: WishSpec?

    public init(identity: TaskIdentity) {
        self.identity = identity
    }

    public static func fromEnvironment(_ environment: [String: String]) throws(SettingsError) -> AttemptOptions {
        guard let id = environment["WISH_ID"].flatMap(WishID.init) else { throw .missing(["WISH_ID (a wish id)"]) }
        guard let attempt = environment["WISH_ATTEMPT"].flatMap(Int.init), attempt >= 1 else { throw .missing(["WISH_ATTEMPT (1 or more)"]) }
        let index = environment["WISH_ARRAY_INDEX"].flatMap(Int.init)
        var options = AttemptOptions(identity: TaskIdentity(subject: WishSubject(id: id, arrayIndex: index), attempt: attempt))
        func seconds(_ name: String) -> Duration? { environment[name].flatMap(Double.init).flatMap { $0 >= 0 ? Duration.milliseconds(Int64($0 * 1000)) : nil } }
        options.countInterval = seconds("WISHES_COUNT_INTERVAL_SECONDS") ?? options.countInterval
        options.killGrace = seconds("WISHES_KILL_GRACE_SECONDS") ?? options.killGrace
        options.flushInterval = seconds("WISHES_FLUSH_SECONDS") ?? options.flushInterval
        options.outputLimit = environment["WISHES_OUTPUT_LIMIT_BYTES"].flatMap(Int.init) ?? options.outputLimit
        if let text = environment["WISHES_SPEC"] {
            do {
                options.spec = try WishJSON.decode(WishSpec.self, from: Array(text.utf8))
            } catch {
                throw .invalid("WISHES_SPEC", "must be a wish spec as the dispatcher writes it (\(error))")
            }
        }
        return options
    }
}
