import Foundation

@testable import WishesAWS

/// Runs blocking work (waiting for a child process, reading a pipe) on its own thread,
/// so it never holds one of the few threads of Swift's cooperative pool: on a two-core
/// machine two blocked tests would otherwise stall every other test.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}
