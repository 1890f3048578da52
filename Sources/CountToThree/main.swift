import Logging
import NIOConcurrencyHelpers
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

// The Fargate task: one attempt of one wish. Exits with the work's exit code.
JSONLogHandler.bootstrap()
var logger = Logger(label: "CountToThree")
let arguments = CommandLine.arguments
if arguments.count >= 2, arguments[1] == "--install" {
    guard arguments.count == 3 else {
        logger.critical("usage: CountToThree --install DIR (the shared volume the user's container mounts)")
        exit(64)
    }
    do {
        try Installer.install(into: arguments[2])
        logger.info("installed", metadata: ["directory": "\(arguments[2])"])
        exit(0)
    } catch {
        logger.critical("cannot install", metadata: ["error": "\(error)"])
        exit(1)
    }
}
// Before anything else: the command this task runs must not read our environment or memory.
if !CommandEnvironment.hideThisProcess() {
    logger.warning("cannot make the task non-dumpable (prctl refused); a command of the same user could read its environment")
}
let environment = ProcessInfo.processInfo.environment
// The init container put a bundle beside the binary: the user's image may have no trust store.
let httpClient = AWSClient.makeHTTPClient(maxConnectionsPerHost: 4, caBundle: environment["WISHES_CA_BUNDLE"])

let code: Int32
do {
    let settings = try WishesSettings.fromEnvironment(environment)
    let options = try AttemptOptions.fromEnvironment(environment)
    logger[metadataKey: "wish"] = "\(options.identity.subject)"
    logger[metadataKey: "attempt"] = "\(options.identity.attempt)"
    let aws = try AWSClients.fromEnvironment(environment, httpClient: httpClient, logger: logger)
    let attempt = AttemptService(
        runner: AttemptRunner(aws: aws, settings: settings, options: options, baseEnvironment: environment, logger: logger),
        logger: logger)
    // SIGTERM (a stop, Spot's notice) is a graceful shutdown, never a cancellation: the attempt still
    // writes its output and result, which is why the group has no cancellation signals.
    // The attempt's end is the task's end, not an unexpected stop of a service.
    let group = ServiceGroup(
        configuration: .init(
            services: [.init(service: attempt, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
    try await group.run()
    code = attempt.exitCode ?? 2
} catch {
    logger.critical("CountToThree cannot run", metadata: ["error": "\(error)"])
    code = 2
}
try? await httpClient.shutdown()
exit(code)
