import Logging
import ServiceLifecycle
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

/// The custom runtime's loop as a service: one invocation at a time, as Lambda gives them, until the
/// service group shuts down.
///
/// Function code is a closure from the raw event to the raw response; a thrown error is reported
/// to the Runtime API with its type and message, and the loop goes on, as Lambda expects.
public struct LambdaRuntime: Service {
    public typealias Handler = @Sendable (LambdaInvocation) async throws -> [UInt8]

    public let client: LambdaRuntimeClient
    public var logger: Logger
    let initialize: @Sendable () async throws -> Handler
    /// Where the handler runs: an event loop's executor keeps a request and its caller on one thread.
    let executor: (any TaskExecutor)?

    /// `initialize` sets up the function once, before the first `/next` (an error is posted as the init error).
    public init(
        client: LambdaRuntimeClient, logger: Logger, executor: (any TaskExecutor)? = nil,
        initialize: @escaping @Sendable () async throws -> Handler
    ) {
        self.client = client
        self.logger = logger
        self.executor = executor
        self.initialize = initialize
    }

    /// Sets up and serves events. A graceful shutdown (Lambda's SIGTERM) ends it without an error even
    /// while `/next` waits: that request has no read timeout, so only cancelling it lets the process go.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withTaskExecutorPreference(executor) {
                    try await self.setUpAndServe()
                }
            }
        } catch  where Task.isShuttingDownGracefully || Task.isCancelled {
            logger.info("stopped by shutdown", metadata: ["error": "\(error)"])
        }
    }

    func setUpAndServe() async throws {
        let handler: Handler
        do {
            handler = try await initialize()
        } catch {
            // A shutdown during init is no failure of the function's: nothing to report.
            if Task.isCancelled { throw error }
            logger.error("init failed", metadata: ["error": "\(error)"])
            try? await client.initError(errorType: Self.typeName(error), message: "\(error)")
            throw error
        }
        try await serve(handler)
    }

    func serve(_ handler: Handler) async throws {
        while !Task.isCancelled {
            let invocation = try await client.next(logger: logger)
            if let trace = invocation.traceID { setenv("_X_AMZN_TRACE_ID", trace, 1) } else { unsetenv("_X_AMZN_TRACE_ID") }
            do {
                let response = try await handler(invocation)
                try await client.respond(invocation.requestID, body: response)
            } catch let error as LambdaRuntimeError {
                throw error
            } catch {
                invocation.logger.error("invocation failed", metadata: ["error": "\(error)"])
                try await client.fail(invocation.requestID, errorType: Self.typeName(error), message: "\(error)")
            }
        }
    }

    /// The error's type without its module (`DispatchError`), as other runtimes name errors.
    static func typeName(_ error: any Error) -> String {
        let name = String(reflecting: Swift.type(of: error)).split(separator: ".").dropFirst().joined(separator: ".")
        return name.isEmpty ? "Error" : String(name.prefix(200))
    }
}
