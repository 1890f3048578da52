import WishesAWS

/// What can go wrong between the function and the Lambda Runtime API.
public enum LambdaRuntimeError: Error, Equatable, CustomStringConvertible {
    /// `AWS_LAMBDA_RUNTIME_API` is missing or not `host:port`.
    case missingRuntimeAPI(String?)
    /// The Runtime API answered with a status the protocol does not allow here.
    case unexpectedStatus(operation: String, status: Int, body: String)
    /// `/next` answered without a header the protocol requires.
    case missingHeader(String)
    case transport(operation: String, reason: String)

    public var description: String {
        switch self {
        case .missingRuntimeAPI(let value):
            "AWS_LAMBDA_RUNTIME_API is \(value.map { "'\($0)'" } ?? "not set"): it must be host:port of the Lambda Runtime API (Lambda sets it; the local cloud sets it too)"
        case .unexpectedStatus(let operation, let status, let body):
            "Runtime API \(operation) answered HTTP \(status): \(body.prefix(300))"
        case .missingHeader(let name):
            "Runtime API /next answered without the \(name) header"
        case .transport(let operation, let reason):
            "Runtime API \(operation) failed: \(reason)"
        }
    }
}
