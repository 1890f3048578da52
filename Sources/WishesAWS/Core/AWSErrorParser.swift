#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads the error out of a failed response, whichever protocol the service speaks:
/// JSON (`__type`, or the SQS query-compatible `x-amzn-query-error` header) or XML (`<Error><Code>`).
enum AWSErrorParser {
    /// The fields of a JSON error body that name what went wrong; any other field is ignored.
    struct JSONErrorBody: Decodable {
        var type: String?
        var code: String?
        var message: String?
        var Message: String?
        enum CodingKeys: String, CodingKey {
            case type = "__type"
            case code
            case message
            case Message
        }
    }

    static func parse(_ response: AWSResponse, service: AWSService, operation: String) -> AWSServiceError {
        let requestID = response.header("x-amzn-requestid") ?? response.header("x-amz-request-id")
        var code: String?
        var message = ""
        if let object = try? JSONDecoder().decode(JSONErrorBody.self, from: Data(response.body)) {
            if code == nil, let type = object.type ?? object.code {
                // `com.amazonaws.sqs#QueueDoesNotExist` and `aws.ecs#ClientException:extra` both mean the last word.
                let afterHash = type.split(separator: "#").last.map(String.init) ?? type
                code = afterHash.split(separator: ":").first.map(String.init)
            }
            message = object.message ?? object.Message ?? ""
        } else if let tree = try? XMLTree.parse(response.body),
            let error = tree.name == "Error" ? tree : tree.child("Errors")?.child("Error") ?? tree.child("Error")
        {
            code = error.child("Code")?.text
            message = error.child("Message")?.text ?? ""
        }
        // SQS's query-compatible code (`AWS.SimpleQueueService.NonExistentQueue`) only when JSON named none.
        if code == nil, let queryError = response.header("x-amzn-query-error"), let first = queryError.split(separator: ";").first {
            code = String(first)
        }
        if let header = response.header("x-amzn-errortype"), code == nil {
            code = header.split(separator: ":").first.map(String.init)
        }
        if (300..<400).contains(response.status) {
            // S3's 301/307 for a bucket elsewhere names the bucket's region in a header, HEAD included.
            let region = response.header("x-amz-bucket-region")
            let endpoint = (try? XMLTree.parse(response.body))?.child("Endpoint")?.text
            message = [
                message.isEmpty ? "AWS answered with a redirect, which is not followed" : message,
                region.map { "the bucket is in region \($0): set AWS_REGION=\($0) or use a bucket in this client's region" },
                endpoint.map { "(endpoint \($0))" },
            ].compactMap { $0 }.joined(separator: "; ")
        }
        return AWSServiceError(
            service: service,
            operation: operation,
            code: code ?? Self.codeForStatus(response.status),
            message: message,
            statusCode: response.status,
            requestID: requestID
        )
    }

    /// HEAD answers have no body; S3's status codes say enough.
    static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 304: "NotModified"
        case 307: "TemporaryRedirect"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 409: "Conflict"
        case 412: "PreconditionFailed"
        case 429: "TooManyRequestsException"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }
}
