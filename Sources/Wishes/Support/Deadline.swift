/// Runs `body` until it returns or `seconds` pass, whichever is first; on time out `body` is
/// cancelled (and awaited: it must heed cancellation, as AWS calls and sleeps do) and `onTimeout`
/// is thrown. A Lambda invocation that runs past its deadline is killed with its whole batch, the
/// finished records included; a record raced against the deadline comes back alone.
package func withDeadline<T: Sendable>(
    seconds: Double, onTimeout: any Error, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int64(max(0, seconds) * 1000)))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw onTimeout }
        return value
    }
}
