import NIOConcurrencyHelpers
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What one function environment knows, between reads of the shared marks, of asap launches refused
/// for capacity: default launches are judged on it, so a batch reads the marks once, not per record.
final class LaunchGate: Sendable {
    /// When asap launches were last refused, by what was short: a capacity provider's capacity
    /// (`FARGATE_SPOT`, `FARGATE`), or `Dispatcher.throttled`, which every launch shares.
    typealias Refusals = [String: Date]

    private struct State {
        var refusals: Refusals = [:]
        var readAt: Date?
        var writtenAt: [String: Date] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// The refusals known here, and whether the shared marks are due to be read again.
    func refusals(at now: Date, rereadAfter seconds: TimeInterval) -> (known: Refusals, reread: Bool) {
        state.withLockedValue { state in
            (state.refusals, state.readAt.map { now.timeIntervalSince($0) >= seconds } ?? true)
        }
    }

    /// Keeps the later of each refusal read and known; returns what is known then.
    func read(_ marked: Refusals, at now: Date) -> Refusals {
        state.withLockedValue { state in
            state.readAt = now
            state.refusals.merge(marked) { max($0, $1) }
            return state.refusals
        }
    }

    /// Notes a refusal; true when its pool's mark should be written (not written in the last
    /// `seconds`: the mark is a hint of minutes, not a log of every refusal).
    func refused(_ pool: String, at now: Date, rewriteAfter seconds: TimeInterval) -> Bool {
        state.withLockedValue { state in
            state.refusals[pool] = max(now, state.refusals[pool] ?? now)
            return state.writtenAt[pool].map { now.timeIntervalSince($0) >= seconds } ?? true
        }
    }

    func wrote(_ pool: String, at now: Date) {
        state.withLockedValue { $0.writtenAt[pool] = now }
    }
}
