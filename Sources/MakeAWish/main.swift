import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Wishes
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The Lambda `bootstrap`: a custom runtime that serves the dispatcher.

// Lambda gives a function of 128 MB a fraction of a core: one event loop thread is enough, and the
// handler runs on it too (`EventLoopTaskExecutor`), so a request and its caller never change threads.
if ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil {
    NIOSingletons.groupLoopCountSuggestion = 1
}
JSONLogHandler.bootstrap()
let logger = Logger(label: "MakeAWish")
let environment = ProcessInfo.processInfo.environment
let httpClient = AWSClient.makeHTTPClient()
let runtimeHTTPClient = LambdaRuntimeClient.makeHTTPClient()

/// Runs the function until the runtime shuts down; the process's exit code.
func serve() async -> Int32 {
    var exitCode: Int32 = 0
    do {
        let client = try LambdaRuntimeClient(runtimeAPI: environment["AWS_LAMBDA_RUNTIME_API"], httpClient: runtimeHTTPClient)
        let runtime = LambdaRuntime(client: client, logger: logger, executor: EventLoopTaskExecutor(httpClient.eventLoopGroup.next())) {
            let settings = try WishesSettings.fromEnvironment(environment, required: ["WISHES_BUCKET", "WISHES_QUEUE_URL", "WISHES_TASK_DEFINITION"])
            let aws = try AWSClients.fromEnvironment(environment, httpClient: httpClient, logger: logger)
            let dispatcher = Dispatcher(aws: aws, settings: settings, options: .fromEnvironment(environment))
            return { invocation in try await dispatcher.handle(invocation) }
        }
        // Lambda's SIGTERM (and Ctrl-C) shut down gracefully: the runtime leaves its pending /next and returns.
        // The runtime returns only once it is shut down, which is no failure.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: runtime, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    } catch {
        logger.critical("MakeAWish stopped", metadata: ["error": "\(error)"])
        exitCode = 1
    }
    await runtimeHTTPClient.shutdown()
    await httpClient.shutdown()
    return exitCode
}

// A synchronous entry point, not an async `main`: Swift's async main ends the main thread with
// `pthread_exit`, whose forced unwind makes libgcc sort every FDE of this static binary first, about
// 15 ms of CPU at the start of each cold start (seen in `perf`). The main thread waits instead; the
// one task is the program itself, and the main thread holds it until it ends.
let finished = ConditionLock(value: false)
let result = NIOLockedValueBox<Int32>(0)
Task.detached {
    let code = await serve()
    result.withLockedValue { $0 = code }
    finished.lock()
    finished.unlock(withValue: true)
}
finished.lock(whenValue: true)
finished.unlock()
exit(result.withLockedValue { $0 })
