import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationEssentialsCompat
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// One attempt of one wish, inside its Fargate task: load the spec, do the work, stream the
/// output, write the result, and exit with the work's exit code so ECS and S3 agree.
public final class AttemptRunner: Sendable {
    public let aws: AWSClients
    public let settings: WishesSettings
    public let options: AttemptOptions
    /// The task's own environment; the command gets it without the control plane's part (`CommandEnvironment`).
    let baseEnvironment: [String: String]
    let logger: Logger
    let clock: any WallClock
    let store: WishStore
    private let state = NIOLockedValueBox<(interrupted: Bool, child: ChildProcess?)>((false, nil))

    public convenience init(
        aws: AWSClients, settings: WishesSettings, options: AttemptOptions, baseEnvironment: [String: String], logger: Logger,
        clock: any WallClock = SystemClock()
    ) {
        let objects = S3ObjectStorage(s3: aws.s3, bucket: settings.bucket)
        self.init(
            aws: aws, store: WishStore(objects: objects, layout: settings.layout, specCacheSize: 1), settings: settings, options: options,
            baseEnvironment: baseEnvironment, logger: logger, clock: clock)
    }

    /// An attempt over any store: the in-memory one in unit tests (STS stays `aws`'s).
    package init(
        aws: AWSClients, store: WishStore, settings: WishesSettings, options: AttemptOptions, baseEnvironment: [String: String], logger: Logger,
        clock: any WallClock = SystemClock()
    ) {
        self.aws = aws
        self.store = store
        self.settings = settings
        self.options = options
        self.baseEnvironment = baseEnvironment
        self.logger = logger
        self.clock = clock
    }

    var subject: WishSubject { options.identity.subject }
    var attempt: Int { options.identity.attempt }
    var layout: S3Layout { settings.layout }

    /// SIGTERM reached the task (a stop, or Spot's two-minute notice): pass it on and wind down.
    public func interrupt() {
        let child = state.withLockedValue { state in
            state.interrupted = true
            return state.child
        }
        child?.signal(SIGTERM)
    }

    var isInterrupted: Bool { state.withLockedValue { $0.interrupted } }

    /// Runs the attempt and returns the process's exit code.
    public func run() async -> Int32 {
        let startedAt = clock.now
        let output = OutputBuffer(limit: options.outputLimit)
        let spec: WishSpec
        do {
            // The dispatcher passes the spec it launched with; only one too large for RunTask's overrides is read.
            let passed = if let given = options.spec { given } else { try await retrying("read the spec", { try await self.store.spec(self.subject.id) }) }
            guard let stored = passed else {
                logger.error("no spec stored for this wish", metadata: ["key": "\(layout.spec(subject.id))"])
                output.append(Array("no spec stored for wish \(subject.id)\n".utf8))
                return await finish(AttemptResult.Outcome.failed, exitCode: 1, reason: "no spec stored for this wish", startedAt: startedAt, output: output)
            }
            spec = stored
        } catch {
            logger.error("cannot load the spec", metadata: ["error": "\(error)"])
            return 1
        }
        // RUNNING from the task itself, as EventBridge's event may be lost; the launch recorded the task's ARN.
        try? await merge(AttemptStatus(number: attempt, state: .running, startedAt: startedAt))
        logger.info(
            "attempt started", metadata: ["wish": "\(subject)", "attempt": "\(attempt)", "command": "\(spec.command == nil ? "count to three" : "command")"])

        if let command = spec.command {
            return await runCommand(command, spec: spec, startedAt: startedAt, output: output)
        }
        return await countToThree(spec, startedAt: startedAt, output: output)
    }

    /// The default work: hold the breath, count to three, say what was wished.
    func countToThree(_ spec: WishSpec, startedAt: Date, output: OutputBuffer) async -> Int32 {
        output.append(Array("Holding my breath for: \(spec.wish)\n".utf8))
        let limit = spec.timeoutSeconds.map { Duration.seconds($0) }
        let began = ContinuousClock.now
        for word in ["one", "two", "three"] {
            try? await Task.sleep(for: options.countInterval)
            if isInterrupted {
                return await finish(.interrupted, exitCode: 128 + SIGTERM, reason: "interrupted (SIGTERM) before three", startedAt: startedAt, output: output)
            }
            if let limit, ContinuousClock.now - began > limit {
                return await finish(
                    .timedOut, exitCode: 128 + SIGTERM, reason: "timed out after \(spec.timeoutSeconds ?? 0) s", startedAt: startedAt, output: output)
            }
            output.append(Array("\(word)\n".utf8))
        }
        let message = "Wished for \u{201C}\(spec.wish)\u{201D} and counted to three."
        output.append(Array("\(message)\n".utf8))
        return await finish(.succeeded, exitCode: 0, reason: "counted to three", startedAt: startedAt, output: output, message: message)
    }

    /// A command: a child with the wish's environment, its output streamed, its timeout enforced.
    func runCommand(_ command: [String], spec: WishSpec, startedAt: Date, output: OutputBuffer) async -> Int32 {
        let secrets: [String: String]
        do {
            // The spec names the variables; values are stored only when it has some.
            secrets = spec.environment?.isEmpty ?? true ? [:] : try await retrying("read the environment") { try await self.store.secrets(self.subject.id) }
        } catch {
            return await finish(.failed, exitCode: 1, reason: "cannot read the wish's environment: \(error)", startedAt: startedAt, output: output)
        }
        var environment = CommandEnvironment.forCommand(from: baseEnvironment).merging(secrets) { _, wish in wish }
        environment["WISH_ID"] = subject.id.rawValue
        environment["WISH_ATTEMPT"] = String(attempt)
        environment["AWS_BATCH_JOB_ATTEMPT"] = String(attempt)
        // As Batch names an array child: the parent's id, a colon, the index.
        environment["AWS_BATCH_JOB_ID"] = subject.arrayIndex.map { "\(subject.id):\($0)" } ?? subject.id.rawValue
        if let index = subject.arrayIndex {
            environment["WISH_ARRAY_INDEX"] = String(index)
            environment["AWS_BATCH_JOB_ARRAY_INDEX"] = String(index)
            environment["WISH_ARRAY_SIZE"] = spec.arraySize.map(String.init)
        }
        guard let role = spec.jobRoleArn else {
            return await runChild(command, environment: environment, spec: spec, startedAt: startedAt, output: output)
        }
        // The job role's keys, on an endpoint of the command's own; the task role's never reach it.
        let keys = JobRoleKeys(logger: logger) { [aws = self.aws, subject = self.subject, attempt = self.attempt] in
            // The task role's keys are a role session themselves, so this is role chaining, which AWS
            // caps at one hour whatever the role's MaxSessionDuration: STS's default of one hour is the most.
            try await aws.sts.assumeRole(roleArn: role, sessionName: JobRole.sessionName(subject: subject, attempt: attempt))
        }
        do {
            _ = try await keys.credentials()
        } catch {
            output.append(Array("cannot assume the job role \(role): \(error)\n".utf8))
            return await finish(.failed, exitCode: 1, reason: "cannot assume the job role \(role): \(error)", startedAt: startedAt, output: output)
        }
        let commandEnvironment = environment
        do {
            return try await JobCredentialsServer.run(keys: keys, roleArn: role, logger: logger) { address in
                await self.runChild(
                    command, environment: commandEnvironment.merging(address.environment) { _, ours in ours }, spec: spec,
                    startedAt: startedAt, output: output)
            }
        } catch {
            return await finish(.failed, exitCode: 1, reason: "cannot serve the job role's credentials: \(error)", startedAt: startedAt, output: output)
        }
    }

    /// Runs the command as a child, with its output streamed and its timeout and signals enforced.
    func runChild(_ command: [String], environment: [String: String], spec: WishSpec, startedAt: Date, output: OutputBuffer) async -> Int32 {
        let child = ChildProcess(command: command, environment: environment, output: output)
        let alreadyInterrupted = state.withLockedValue { state in
            state.child = child
            return state.interrupted
        }
        if alreadyInterrupted {
            return await finish(
                .interrupted, exitCode: 128 + SIGTERM, reason: "interrupted (SIGTERM) before the command started", startedAt: startedAt, output: output)
        }
        let timedOut = NIOLockedValueBox(false)
        let exitCode: Int32
        do {
            exitCode = try await withThrowingTaskGroup(of: Int32?.self) { group in
                group.addTask { try await child.run() }
                group.addTask {
                    await self.streamOutput(output)
                    return nil
                }
                if let seconds = spec.timeoutSeconds {
                    group.addTask {
                        try await Task.sleep(for: .seconds(seconds))
                        timedOut.withLockedValue { $0 = true }
                        self.logger.warning("timeout reached; stopping the command", metadata: ["timeoutSeconds": "\(seconds)"])
                        child.signal(SIGTERM)
                        try await Task.sleep(for: self.options.killGrace)
                        child.signal(SIGKILL)
                        return nil
                    }
                }
                group.addTask {
                    // Forwarded SIGTERM gets the same grace, then SIGKILL.
                    while !self.isInterrupted { try await Task.sleep(for: .milliseconds(100)) }
                    try await Task.sleep(for: self.options.killGrace)
                    child.signal(SIGKILL)
                    return nil
                }
                for try await result in group {
                    if let code = result {
                        group.cancelAll()
                        return code
                    }
                }
                return 1
            }
        } catch {
            output.append(Array("cannot start the command: \(error)\n".utf8))
            return await finish(.failed, exitCode: 127, reason: "cannot start the command: \(error)", startedAt: startedAt, output: output)
        }
        if timedOut.withLockedValue({ $0 }) {
            return await finish(.timedOut, exitCode: exitCode, reason: "timed out after \(spec.timeoutSeconds ?? 0) s", startedAt: startedAt, output: output)
        }
        if isInterrupted {
            return await finish(.interrupted, exitCode: exitCode, reason: "interrupted (SIGTERM)", startedAt: startedAt, output: output)
        }
        if exitCode == 127 && output.totalBytes < 512, String(decoding: output.snapshot(), as: UTF8.self).contains("No such file") {
            return await finish(.failed, exitCode: exitCode, reason: "command not found: \(command[0])", startedAt: startedAt, output: output)
        }
        return await finish(exitCode == 0 ? .succeeded : .failed, exitCode: exitCode, reason: "exit code \(exitCode)", startedAt: startedAt, output: output)
    }

    /// Puts the output to S3 every few seconds, or sooner when much is new, until cancelled.
    func streamOutput(_ output: OutputBuffer) async {
        var last = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            guard output.unsentBytes > 0, output.unsentBytes >= options.flushBytes || ContinuousClock.now - last >= options.flushInterval else { continue }
            last = ContinuousClock.now
            do {
                try await store.putOutput(output.snapshot(markSent: true), of: options.identity)
            } catch {
                logger.warning("output not sent yet; will try again", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Writes the output and the result; exits non-zero if the result cannot be written.
    func finish(_ outcome: AttemptResult.Outcome, exitCode: Int32, reason: String, startedAt: Date, output: OutputBuffer, message: String? = nil) async -> Int32
    {
        // A command that exits 0 when told to stop (a shell trap) did not succeed: the task's exit
        // code says what happened, as `timeout` (124) and a SIGTERM death (143) would.
        var exitCode = exitCode
        if exitCode == 0, outcome == .timedOut { exitCode = 124 }
        if exitCode == 0, outcome == .interrupted { exitCode = 128 + SIGTERM }
        let result = AttemptResult(
            outcome: outcome, exitCode: Int(exitCode), reason: reason, startedAt: startedAt, stoppedAt: clock.now,
            outputBytes: output.totalBytes, outputTruncated: output.isTruncated, message: message)
        do {
            let kept = output.snapshot(markSent: true)
            try await retrying("write the output") { try await self.store.putOutput(kept, of: self.options.identity) }
            // The outcome is written once, here; the dispatcher merges it into the status when the
            // task's STOPPED event (or the sweep) comes, beside what ECS says about the stop.
            try await retrying("write the result") { try await self.store.putResult(result, of: self.options.identity) }
        } catch {
            logger.error("result not written; the attempt must not count as a success", metadata: ["error": "\(error)"])
            return exitCode == 0 ? 1 : exitCode
        }
        logger.info(
            "attempt finished",
            metadata: ["outcome": "\(outcome.rawValue)", "exitCode": "\(exitCode)", "reason": "\(reason)", "outputBytes": "\(output.totalBytes)"])
        return exitCode
    }

    func merge(_ attempt: AttemptStatus) async throws {
        try await store.statuses.merge(WishStatus(id: subject.id, arrayIndex: subject.arrayIndex, updatedAt: clock.now, attempts: [attempt]))
    }

    /// S3 outages outlast the client's own three tries: keep going for about half a minute.
    static let outageBackoff = Backoff(base: .milliseconds(250), cap: .seconds(8), jitter: .none)

    func retrying<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Self.outageBackoff.retrying(maxTries: 6) { error, tries in
            guard let error = error as? AWSClientError, AWSClient.isRetryable(error) else { return false }
            logger.warning("could not \(what); trying again", metadata: ["error": "\(error)", "try": "\(tries)"])
            return true
        } _: {
            try await body()
        }
    }
}
