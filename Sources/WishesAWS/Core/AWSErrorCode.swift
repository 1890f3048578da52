/// An AWS error code (`NoSuchKey`, `PreconditionFailed`, ...), compared as a value rather than as
/// a string spelled at each call site. Open, as soto's error types are: a code no constant names
/// still compares, by its raw value.
public struct AWSErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    // S3
    public static let noSuchKey = AWSErrorCode("NoSuchKey")
    public static let noSuchBucket = AWSErrorCode("NoSuchBucket")
    /// HEAD answers carry no body, so a missing object is the status's name.
    public static let notFound = AWSErrorCode("NotFound")
    public static let invalidRange = AWSErrorCode("InvalidRange")
    /// A conditional write whose condition no longer holds (`If-Match`, `If-None-Match`).
    public static let preconditionFailed = AWSErrorCode("PreconditionFailed")
    /// Two conditional writes of one key at once: S3 lets one win and answers the other 409.
    public static let conditionalRequestConflict = AWSErrorCode("ConditionalRequestConflict")
    public static let bucketAlreadyOwnedByYou = AWSErrorCode("BucketAlreadyOwnedByYou")
    public static let slowDown = AWSErrorCode("SlowDown")

    // SQS
    public static let queueDoesNotExist = AWSErrorCode("QueueDoesNotExist")
    public static let nonExistentQueue = AWSErrorCode("AWS.SimpleQueueService.NonExistentQueue")
    public static let tooManyEntriesInBatchRequest = AWSErrorCode("TooManyEntriesInBatchRequest")

    // ECS, Secrets Manager
    public static let clusterNotFound = AWSErrorCode("ClusterNotFoundException")
    public static let resourceExists = AWSErrorCode("ResourceExistsException")
    /// ECS's answer to a request it refuses as the caller's fault, an unknown task definition included.
    public static let clientException = AWSErrorCode("ClientException")

    // Every service
    public static let expiredToken = AWSErrorCode("ExpiredToken")
    public static let expiredTokenException = AWSErrorCode("ExpiredTokenException")
}

extension AWSServiceError {
    public var errorCode: AWSErrorCode { AWSErrorCode(code) }
}

extension AWSClientError {
    /// True when the service answered with one of `codes`.
    public func isCode(_ codes: AWSErrorCode...) -> Bool {
        guard let code = serviceError?.errorCode else { return false }
        return codes.contains(code)
    }
}
