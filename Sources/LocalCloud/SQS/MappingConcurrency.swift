import WishesAWS

/// How many batches the SQS event source mappings may have in the function at once, all mappings
/// together. In AWS each mapping's `MaximumConcurrency` (3 + 5 in the template) sits far below the
/// function's concurrency, so EventBridge's task events and the minute's tick always find an
/// environment; with a handful of local environments, unbounded pollers would take every one and
/// events would wait behind them for most of a minute. This keeps one environment out of the
/// mappings' reach. It is a cap, not a priority: whoever waits for an environment is served in turn.
actor MappingConcurrency {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) { free = max(1, limit) }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
