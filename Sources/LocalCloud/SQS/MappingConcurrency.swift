import NIOConcurrencyHelpers
import WishesAWS

/// How many batches the SQS event source mappings may have in the function at once, all mappings
/// together. In AWS each mapping's `MaximumConcurrency` (3 + 5 in the template) sits far below the
/// function's concurrency, so EventBridge's task events and the minute's tick always find an
/// environment; with a handful of local environments, unbounded pollers would take every one and
/// events would wait behind them for most of a minute. This keeps one environment out of the
/// mappings' reach. It is a cap, not a priority: whoever waits for an environment is served in turn.
///
/// A poller cancelled while it waits (the local cloud stops) leaves the line at once, holding nothing.
final class MappingConcurrency: Sendable {
    private struct State {
        var free: Int
        var waiting: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }

    private let state: NIOLockedValueBox<State>

    init(_ limit: Int) { state = NIOLockedValueBox(State(free: max(1, limit))) }

    /// True with a place taken (give it back with `release`); false once the caller is cancelled.
    func acquire() async -> Bool {
        let id = state.withLockedValue { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLockedValue { state -> Bool? in
                    if state.free > 0 {
                        state.free -= 1
                        return true
                    }
                    if Task.isCancelled { return false }
                    state.waiting.append((id, continuation))
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let left = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            left?.resume(returning: false)
        }
    }

    func release() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        waiter?.resume(returning: true)
    }
}
