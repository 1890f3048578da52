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
    private let places: WaitLine<Void>

    init(_ limit: Int) { places = WaitLine(Array(repeating: (), count: max(1, limit))) }

    /// True with a place taken (give it back with `release`); false once the caller is cancelled.
    func acquire() async -> Bool { await places.acquire() != nil }

    func release() { places.release(()) }
}
