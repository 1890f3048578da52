import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// AWS Batch's array dependencies: `SEQUENTIAL` (child i after child i-1 of the same array) and
/// `N_TO_N` (child i after child i of another array of the same size).
///
/// A child's dependency is judged from the array's tally (`ChildTally`), which records each child's
/// end once it is final, so one read answers it whatever the array's size. A waiting child is a
/// delayed message, as a waiting wish is; the dependency's end sends it again at once (a
/// `SEQUENTIAL` array's next child, and each child of the arrays registered in the tally), and the
/// delayed look, which grows to SQS's 15 minutes, is only the backstop for a wake that was lost.
extension Dispatcher {
    enum PairedArraysState: Equatable {
        case ready
        case waiting(String)
        case failed(String)
    }

    enum ChildDependencyState: Equatable {
        case ready
        case waiting(WishSubject)
        case failed(String)
    }

    /// Whether the arrays an array wish names `N_TO_N` can pair its children: stored, and of its size.
    /// One whose spec is not stored yet is waited for as an unknown dependency is, within the same grace.
    func pairedArraysState(_ spec: WishSpec) async throws -> PairedArraysState {
        for id in spec.pairedDependencies {
            guard let paired = try await storedSpec(id) else {
                if let status = try await statuses.read(WishSubject(id: id)), status.isFinal {
                    return .failed("dependency \(id) failed\(status.statusReason.map { " (\($0))" } ?? "")")
                }
                if clock.now.timeIntervalSince(id.date) > Double(options.unknownDependencyGraceSeconds) {
                    return .failed(
                        "dependency \(id) does not exist: no wish with that id was submitted within \(options.unknownDependencyGraceSeconds) s of its time")
                }
                return .waiting("waiting for \(id) to be submitted")
            }
            if let reason = spec.pairingRefusal(id, paired: paired) { return .failed(reason) }
        }
        return .ready
    }

    /// Puts the array `waiter` into the tally of each array it names `N_TO_N`, so their children's
    /// ends wake its children. Repeated for a message delivered again; a waiter is recorded once.
    func registerWithPairedArrays(_ spec: WishSpec, waiter: WishID, size: Int) async throws {
        for id in spec.pairedDependencies {
            try await store.registerPairedDependent(of: id, size: size, waiter: waiter, queue: spec.queue)
        }
    }

    /// What child `index` of the array `id` waits for. `SEQUENTIAL` first: a child whose
    /// predecessor failed fails, however its `N_TO_N` dependencies went.
    func childDependencyState(_ spec: WishSpec, of id: WishID, index: Int) async throws -> ChildDependencyState {
        if spec.isSequential, index > 0 {
            let before = WishSubject(id: id, arrayIndex: index - 1)
            let tally = try await store.tally(id)
            switch tally?.state(of: index - 1) {
            case .succeeded?: break
            case .failed?: return .failed("dependency \(before) failed")
            default:
                // One failure below ends every later child: they need not wait for the chain to reach them.
                if let first = tally?.firstFailed(below: index) {
                    return .failed("dependency \(before) cannot succeed: \(WishSubject(id: id, arrayIndex: first)) failed before it")
                }
                return .waiting(before)
            }
        }
        for paired in spec.pairedDependencies {
            let dependency = WishSubject(id: paired, arrayIndex: index)
            switch try await store.tally(paired)?.state(of: index) {
            case .succeeded?: continue
            case .failed?: return .failed("dependency \(dependency) failed")
            default: break
            }
            // An array ends when its tally is complete, or earlier when it fails as a whole (a failed
            // dependency of its own, a cancel): then its child will not succeed. The tally is read
            // again, since the child may have ended between the two reads.
            guard let status = try await statuses.read(WishSubject(id: paired)), status.isFinal else { return .waiting(dependency) }
            if status.state == .succeeded { continue }
            if try await store.tally(paired)?.state(of: index) == .succeeded { continue }
            return .failed("dependency \(paired) failed\(status.statusReason.map { " (\($0))" } ?? "") before its child \(index) succeeded")
        }
        return .ready
    }

    /// Marks the child PENDING and looks again later, each time later (to 15 minutes): the
    /// dependency's end wakes the child anyway.
    func waitForChild(_ message: WishMessage, spec: WishSpec, on dependency: WishSubject) async throws {
        let checks = (message.dependencyChecks ?? 0) + 1
        let now = clock.now
        try await statuses.merge(
            WishStatus(
                id: message.id, arrayIndex: message.arrayIndex, updatedAt: now,
                pending: .init(state: .pending, reason: "waiting for \(dependency) to succeed", at: now)))
        var again = message
        again.spec = nil
        again.dependencyChecks = checks
        let delay = Backoff.seconds(base: options.recheckSeconds, cap: Self.sqsMaxDelaySeconds, jitter: .equal, afterFailures: checks)
        try await enqueue(again, queue: spec.queue, delaySeconds: delay)
    }

    /// Sends again, at once, the children that wait for child `index` of the array `id`: the next
    /// one of a `SEQUENTIAL` array, and child `index` of each array registered `N_TO_N`. Only the
    /// report that counted the child does this, so an end reported again wakes nobody twice; a wake
    /// that fails is left to the waiter's own delayed look rather than fail the end it follows.
    func wakeChildDependents(of id: WishID, index: Int, spec: WishSpec, tally: ChildTally, logger: Logger) async {
        var waiters: [(WishSubject, WishQueue)] = []
        if spec.isSequential, let size = spec.arraySize, index + 1 < size {
            waiters.append((WishSubject(id: id, arrayIndex: index + 1), spec.queue))
        }
        for dependent in tally.pairedDependents ?? [] {
            waiters.append((WishSubject(id: dependent.id, arrayIndex: index), dependent.queue))
        }
        guard !waiters.isEmpty else { return }
        let failures = await concurrentMap(waiters, limit: 8) { entry -> String? in
            let (waiter, queue) = entry
            do {
                try await enqueue(WishMessage(id: waiter.id, arrayIndex: waiter.arrayIndex), queue: queue)
                return nil
            } catch {
                return "\(waiter): \(error)"
            }
        }.compactMap { $0 }
        if failures.isEmpty {
            logger.info("dependent children woken", metadata: ["child": "\(index)", "dependents": "\(waiters.count)"])
        } else {
            logger.warning("dependent children not woken; their own look comes later", metadata: ["failures": "\(failures)"])
        }
    }
}
