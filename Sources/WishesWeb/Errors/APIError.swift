import Foundation
import HTTPTypes
import Hummingbird
import Wishes

/// A refusal of the API (and of the checks in front of every route), thrown by routes and middlewares
/// and rendered as the API's error body:
/// `{"error": code, "message": ..., "problems": [{field, rule}], "awsError": code}`.
///
/// Thrown rather than returned, so a route's answer is its success and every refusal takes one path
/// out, through the middlewares that add the security headers and the log line.
struct APIError: HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    /// The stable, machine-readable name a client branches on; the message is for people.
    let code: String
    let message: String
    let problems: [WishValidationError.Problem]
    /// AWS's own error code when AWS refused the call, so an operator sees `ExpiredToken` or
    /// `AccessDenied` rather than a bare 503.
    let awsError: String?
    /// Fields the refusal needs besides the body's type, e.g. `Allow` on a 405 or `WWW-Authenticate` on a 401.
    let headers: HTTPFields

    init(
        _ status: HTTPResponse.Status, _ code: String, _ message: String, problems: [WishValidationError.Problem] = [], awsError: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems
        self.awsError = awsError
        self.headers = headers
    }

    /// What Hummingbird throws itself (no route matched, a body over its limit): its status and text in our body,
    /// so a client parses one shape of error whatever refused it.
    init(_ error: HTTPError) {
        self.init(error.status, "error", error.body ?? error.status.reasonPhrase)
    }

    static func invalidWish(_ error: WishValidationError) -> APIError {
        APIError(.badRequest, error.subject == "wish" ? "invalid_wish" : "invalid_job_definition", "\(error)", problems: error.problems)
    }

    var description: String { "\(status.code) \(code): \(message)" }

    var body: [UInt8] {
        var object: [String: Any] = ["error": code, "message": message]
        if let awsError { object["awsError"] = awsError }
        if !problems.isEmpty { object["problems"] = problems.map { ["field": $0.field, "rule": $0.rule] } }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: .init(bytes: body)))
    }
}
