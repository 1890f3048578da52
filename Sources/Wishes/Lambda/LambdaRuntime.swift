import AsyncHTTPClient
import Foundation
import Logging

/// The custom runtime's loop: one invocation at a time, as Lambda gives them, until cancelled.
///
/// Function code is a closure from the raw event to the raw response; a thrown error is reported
/// to the Runtime API with its type and message, and the loop goes on, as Lambda expects.
public struct LambdaRuntime: Sendable {
    public typealias Handler = @Sendable (LambdaInvocation) async throws -> [UInt8]

    public let client: LambdaRuntimeClient
    public var logger: Logger

    public init(client: LambdaRuntimeClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Sets up with `initialize` (reporting an init error if it throws) and then serves events.
    public func run(initialize: () async throws -> Handler) async throws {
        let handler: Handler
        do {
            handler = try await initialize()
        } catch {
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
