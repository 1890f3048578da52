import Foundation

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
    /// The process died during the invocation.
    case crashed(String)

    var summary: String {
        switch self {
        case .response: "ok"
        case .error(let type, let message): "error \(type): \(message.prefix(200))"
        case .timedOut(let seconds): "timed out after \(seconds) s"
        case .crashed(let why): "runtime exited: \(why)"
        }
    }
}
