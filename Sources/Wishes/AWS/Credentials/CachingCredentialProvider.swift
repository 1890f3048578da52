import Foundation

/// Keeps credentials until shortly before they expire, and lets only one refresh run at a time.
public actor CachingCredentialProvider: CredentialProvider {
    let base: any CredentialProvider
    let refreshMargin: TimeInterval
    let clock: any WallClock
    var cached: Credentials?
    var refreshing: Task<Credentials, any Error>?

    /// - Parameter refreshMargin: refresh this long before expiry (the SDKs use minutes, not seconds).
    public init(_ base: any CredentialProvider, refreshMargin: TimeInterval = 300, clock: any WallClock = SystemClock()) {
        self.base = base
        self.refreshMargin = refreshMargin
        self.clock = clock
    }

    public func credentials() async throws -> Credentials {
        if let cached, !cached.expires(within: refreshMargin, of: clock.now) {
            return cached
        }
        if let refreshing {
            return try await refreshing.value
        }
        let task = Task { try await base.credentials() }
        refreshing = task
        defer { refreshing = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh
    }
}
