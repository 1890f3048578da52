import Logging
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One event handed out by the Lambda Runtime API, with the context the function code sees.
public struct LambdaInvocation: Sendable {
    public var requestID: String
    /// When Lambda kills the invocation (`Lambda-Runtime-Deadline-Ms`).
    public var deadline: Date
    public var invokedFunctionARN: String?
    public var traceID: String?
    public var event: [UInt8]
    /// Logs carry the request id, as Lambda's own log lines do.
    public var logger: Logger

    public init(requestID: String, deadline: Date, invokedFunctionARN: String? = nil, traceID: String? = nil, event: [UInt8], logger: Logger) {
        self.requestID = requestID
        self.deadline = deadline
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.event = event
        self.logger = logger
    }
}
