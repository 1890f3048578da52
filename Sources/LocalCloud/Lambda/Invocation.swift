import Foundation
import WishesAWS

/// One event on its way through the local Lambda, and how it ended.
struct Invocation: Sendable {
    var requestID: String
    var deadline: Date
    var event: [UInt8]
    var functionARN: String
}

enum InvocationResult: Sendable, Equatable {
    case response([UInt8])
    /// The function reported an error (`/error`), with Lambda's error type and message.
    case error(type: String, message: String)
    case timedOut(seconds: Int)
    /// The runtime process exited during the invocation (`Runtime.ExitError`); `code` is 128 + n for signal n.
    case runtimeExited(requestID: String, code: Int32)

    var summary: String {
        switch self {
        case .response: "ok"
        case .error(let type, let message): "error \(type): \(message.prefix(200))"
        case .timedOut(let seconds): "timed out after \(seconds) s"
        case .runtimeExited: "Runtime.ExitError: \(exitMessage)"
        }
    }

    /// Lambda's wording: `RequestId: … Error: Runtime exited with error: exit status 1` (or `signal: killed`).
    var exitMessage: String {
        guard case .runtimeExited(let requestID, let code) = self else { return "" }
        let how = code > 128 ? "signal: \(code == 137 ? "killed" : "\(code - 128)")" : "exit status \(code)"
        return "RequestId: \(requestID) Error: Runtime exited with error: \(how)"
    }
}
