import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Security headers, a request id and one JSON log line per request, around every answer, refusals
/// of the checks inside it included.
struct SecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: WebMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = UUID().uuidString.lowercased()
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = APIError.response(error.status, "error", error.body ?? error.status.reasonPhrase)
        }
        response.headers[.contentSecurityPolicy] = "default-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Request-Id")!] = requestID
        let elapsed = ContinuousClock.now - started
        metrics.record(status: Int(response.status.code))
        context.logger.info("request", metadata: [
            "requestId": "\(requestID)", "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
            "status": "\(response.status.code)", "ms": "\(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)",
        ])
        return response
    }
}
