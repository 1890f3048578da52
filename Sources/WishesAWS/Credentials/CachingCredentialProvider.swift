import NIOConcurrencyHelpers

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Keeps credentials until shortly before they expire, and lets only one refresh run at a time.
///
/// A lock, not an actor: every AWS request asks for credentials, and an actor would move each
/// caller to another executor and back for what is nearly always a cached value.
public final class CachingCredentialProvider: CredentialProvider, Sendable {
    let base: any CredentialProvider
    let refreshMargin: TimeInterval
    let clock: any WallClock
    private let state = NIOLockedValueBox(State())

    private struct State {
        var cached: Credentials?
        /// The one refresh in flight; its callers all wait for it.
        var refreshing: Task<Credentials, any Error>?
    }

    /// - Parameter refreshMargin: refresh this long before expiry (the SDKs use minutes, not seconds).
    public init(_ base: any CredentialProvider, refreshMargin: TimeInterval = 300, clock: any WallClock = SystemClock()) {
        self.base = base
        self.refreshMargin = refreshMargin
        self.clock = clock
    }

    public func invalidate() {
        state.withLockedValue { $0.cached = nil }
        base.invalidate()
    }

    private enum Step {
        case cached(Credentials)
        case wait(Task<Credentials, any Error>)
    }

    public func credentials() async throws -> Credentials {
        let now = clock.now
        let step = state.withLockedValue { state -> Step in
            if let cached = state.cached, !cached.expires(within: refreshMargin, of: now) { return .cached(cached) }
            if let refreshing = state.refreshing { return .wait(refreshing) }
            let base = self.base
            let task = Task { try await base.credentials() }
            state.refreshing = task
            return .wait(task)
        }
        switch step {
        case .cached(let credentials): return credentials
        case .wait(let refresh): return try await finish(refresh)
        }
    }

    private func finish(_ refresh: Task<Credentials, any Error>) async throws -> Credentials {
        do {
            let fresh = try await refresh.value
            state.withLockedValue { state in
                state.cached = fresh
                if state.refreshing == refresh { state.refreshing = nil }
            }
            return fresh
        } catch {
            // The next caller starts a new refresh instead of reading this failure forever; keys that
            // are within the refresh margin but not yet expired still sign, as the SDKs let them.
            let now = clock.now
            let stillValid = state.withLockedValue { state -> Credentials? in
                if state.refreshing == refresh { state.refreshing = nil }
                guard let cached = state.cached, !cached.expires(within: 0, of: now) else { return nil }
                return cached
            }
            if let stillValid { return stillValid }
            throw error
        }
    }
}
