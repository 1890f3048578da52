import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Wishes

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

var exitCode: Int32 = 0
// A signal cancels the pending /next, which surfaces as a Runtime API error: that is a clean stop.
let signalled = NIOLockedValueBox(false)
do {
    let client = try LambdaRuntimeClient(runtimeAPI: environment["AWS_LAMBDA_RUNTIME_API"], httpClient: runtimeHTTPClient)
    let runtime = LambdaRuntime(client: client, logger: logger)
    try await TerminationSignals.run(onSignal: { _ in signalled.withLockedValue { $0 = true } }) {
        try await withTaskExecutorPreference(EventLoopTaskExecutor(httpClient.eventLoopGroup.next())) {
            try await runtime.run {
                let settings = try WishesSettings.fromEnvironment(environment, required: ["WISHES_BUCKET", "WISHES_QUEUE_URL", "WISHES_TASK_DEFINITION"])
                let aws = try AWSClients.fromEnvironment(environment, httpClient: httpClient, logger: logger)
                let dispatcher = Dispatcher(aws: aws, settings: settings, options: .fromEnvironment(environment))
                return { invocation in try await dispatcher.handle(invocation) }
            }
        }
    }
} catch where error is CancellationError || signalled.withLockedValue({ $0 }) {
    logger.info("stopped by signal")
} catch {
    logger.critical("MakeAWish stopped", metadata: ["error": "\(error)"])
    exitCode = 1
}
try? await runtimeHTTPClient.shutdown()
try? await httpClient.shutdown()
exit(exitCode)
