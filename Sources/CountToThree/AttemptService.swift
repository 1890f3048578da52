import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Wishes
import WishesAWS

/// The attempt as the task's one service. A graceful shutdown interrupts the work (the runner passes
/// SIGTERM on to the command and records the outcome) and waits for it: cancelling would lose the
/// upload of the output and the result, and the task's exit code would no longer be the work's.
final class AttemptService: Service, Sendable {
    let runner: AttemptRunner
    let logger: Logger
    private let code = NIOLockedValueBox<Int32?>(nil)

    init(runner: AttemptRunner, logger: Logger) {
        self.runner = runner
        self.logger = logger
    }

    /// The work's exit code once `run` has returned.
    var exitCode: Int32? { code.withLockedValue { $0 } }

    func run() async {
        let result = await withGracefulShutdownHandler {
            await runner.run()
        } onGracefulShutdown: {
            self.logger.warning("termination signal; interrupting the attempt")
            self.runner.interrupt()
        }
        code.withLockedValue { $0 = result }
    }
}
