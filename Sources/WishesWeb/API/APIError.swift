import Foundation
import HTTPTypes
import Hummingbird
import Wishes

/// The API's error body: `{"error": code, "message": ..., "problems": [{field, rule}], "awsError": code}`.
enum APIError {
    /// - Parameter awsError: AWS's own error code when AWS refused the call, so an operator sees
    ///   `ExpiredToken` or `AccessDenied` rather than a bare 503.
    static func response(
        _ status: HTTPResponse.Status, _ code: String, _ message: String, problems: [WishValidationError.Problem] = [], awsError: String? = nil
    ) -> Response {
        var object: [String: Any] = ["error": code, "message": message]
        if let awsError { object["awsError"] = awsError }
        if !problems.isEmpty { object["problems"] = problems.map { ["field": $0.field, "rule": $0.rule] } }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(bytes: data)))
    }
}
