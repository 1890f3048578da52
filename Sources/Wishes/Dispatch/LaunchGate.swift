import Foundation
import NIOConcurrencyHelpers

/// What one function environment knows, between reads of the shared mark, of asap launches refused
/// for capacity: default launches are judged on it, so a batch reads the mark once, not per record.
final class LaunchGate: Sendable {
    private struct State {
        /// When an asap launch was last refused, as this environment knows it, and when the shared
        /// mark was last read and written.
        var asapRefusedAt: Date?
        var pressureReadAt: Date?
        var pressureWrittenAt: Date?
    }

    private let state = NIOLockedValueBox(State())

    /// The last refusal known here, and whether the shared mark is due to be read again.
    func asapRefusal(at now: Date, rereadAfter seconds: TimeInterval) -> (refusedAt: Date?, reread: Bool) {
        state.withLockedValue { state in
            (state.asapRefusedAt, state.pressureReadAt.map { now.timeIntervalSince($0) >= seconds } ?? true)
        }
    }

    func readAsapRefusal(_ refusedAt: Date?, at now: Date) {
        state.withLockedValue { state in
            state.pressureReadAt = now
            if let refusedAt, refusedAt > state.asapRefusedAt ?? .distantPast { state.asapRefusedAt = refusedAt }
        }
    }

    /// Notes a refusal; true when the shared mark should be written (not more than once per `seconds`).
    func asapRefused(at now: Date, rewriteAfter seconds: TimeInterval) -> Bool {
        state.withLockedValue { state in
            state.asapRefusedAt = now
            guard state.pressureWrittenAt.map({ now.timeIntervalSince($0) >= seconds }) ?? true else { return false }
            state.pressureWrittenAt = now
            return true
        }
    }
}
