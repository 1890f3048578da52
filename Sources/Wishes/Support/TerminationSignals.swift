import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM (Lambda's shutdown, Fargate's stop and Spot notice) and SIGINT (Ctrl-C) as cancellation.
///
/// The disposition is left as it is until the source is armed: libdispatch then installs its own
/// handler (on Linux it blocks the signal and reads it from a signalfd). Setting `SIG_IGN` first, as
/// Apple's documentation suggests for kqueue, dropped a SIGTERM sent in the first milliseconds (seen
/// 2 times in 80 by the production-shaped test): the process then ran on until SIGKILL. A signal that
/// early now ends the process at once, with the default action.
public enum TerminationSignals {
    /// Runs `body` and, unless told not to, cancels it when a termination signal arrives; `onSignal` sees each one.
    public static func run<T: Sendable>(
        onSignal: @escaping @Sendable (Int32) -> Void = { _ in },
        cancelOnSignal: Bool = true,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await body() }
        let sources = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                onSignal(number)
                if cancelOnSignal { task.cancel() }
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }
}
