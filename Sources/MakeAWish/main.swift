import AsyncHTTPClient
import Foundation
import Logging
import Wishes

// The Lambda `bootstrap`: a custom runtime that serves the dispatcher.
JSONLogHandler.bootstrap()
let logger = Logger(label: "MakeAWish")
let environment = ProcessInfo.processInfo.environment
let httpClient = AWSClient.makeHTTPClient()

var exitCode: Int32 = 0
do {
    let client = try LambdaRuntimeClient(runtimeAPI: environment["AWS_LAMBDA_RUNTIME_API"], httpClient: httpClient)
    let runtime = LambdaRuntime(client: client, logger: logger)
    try await TerminationSignals.run {
        try await runtime.run {
            let settings = try WishesSettings.fromEnvironment(environment, required: ["WISHES_BUCKET", "WISHES_QUEUE_URL", "WISHES_TASK_DEFINITION"])
            let aws = try AWSClients.fromEnvironment(environment, httpClient: httpClient, logger: logger)
            let dispatcher = Dispatcher(aws: aws, settings: settings, options: .fromEnvironment(environment))
            return { invocation in try await dispatcher.handle(invocation) }
        }
    }
} catch is CancellationError {
    logger.info("stopped by signal")
} catch {
    logger.critical("MakeAWish stopped", metadata: ["error": "\(error)"])
    exitCode = 1
}
try? await httpClient.shutdown()
exit(exitCode)
