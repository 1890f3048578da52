/// An error a service returned: its code, message and HTTP status.
public struct AWSServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var service: AWSService
    public var operation: String
    public var code: String
    public var message: String
    public var statusCode: Int
    public var requestID: String?
    /// An earlier attempt of the same call timed out, lost its connection or got a 5xx: it may have
    /// taken effect, so this answer (a 412 to a conditional write, say) can be about our own write.
    public var followsUncertainAttempt = false

    public init(service: AWSService, operation: String, code: String, message: String, statusCode: Int, requestID: String? = nil) {
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.statusCode = statusCode
        self.requestID = requestID
    }

    public var description: String {
        "\(service.rawValue) \(operation) failed: \(code) (HTTP \(statusCode))\(message.isEmpty ? "" : ": \(message)")"
            + (requestID.map { " [request \($0)]" } ?? "")
    }

    /// The throttling codes of the SDKs' standard retry mode.
    static let throttlingCodes: Set<AWSErrorCode> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
    ]
    static let transientCodes: Set<AWSErrorCode> = ["RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable"]

    public var isThrottling: Bool { Self.throttlingCodes.contains(errorCode) || statusCode == 429 }
    public var isTransient: Bool { Self.transientCodes.contains(errorCode) || [500, 502, 503, 504].contains(statusCode) }
}

/// Everything an AWS call can fail with.
public enum AWSClientError: Error, Sendable, CustomStringConvertible {
    /// The service answered with an error.
    case service(AWSServiceError)
    /// No answer: connection refused, reset, DNS; retried already.
    case transport(service: AWSService, operation: String, reason: String)
    /// The call took longer than its timeout; retried already.
    case timeout(service: AWSService, operation: String, seconds: Double)
    /// The service answered, but not with what its protocol promises.
    case invalidResponse(service: AWSService, operation: String, reason: String)
    /// No credentials to sign with.
    case credentials(CredentialError)

    public var description: String {
        switch self {
        case .service(let error): error.description
        case .transport(let service, let operation, let reason):
            "\(service.rawValue) \(operation) could not reach the service: \(reason)"
        case .timeout(let service, let operation, let seconds):
            "\(service.rawValue) \(operation) timed out after \(seconds) s"
        case .invalidResponse(let service, let operation, let reason):
            "\(service.rawValue) \(operation) returned an unreadable response: \(reason)"
        case .credentials(let error): error.description
        }
    }

    /// The service error, when the service answered with one.
    public var serviceError: AWSServiceError? {
        if case .service(let error) = self { return error }
        return nil
    }
}
