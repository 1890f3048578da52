import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware: a request id on every answer, one JSON log line and one count in
/// `WebMetrics` per request, refusals of the checks inside it included.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: WebMetrics
    static var requestIDField: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = UUID().uuidString.lowercased()
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // Hummingbird answers 500 for it; the line and the count still say that it happened.
            log(request, context: context, requestID: requestID, status: 500, since: started, error: error)
            throw error
        }
        response.headers[Self.requestIDField] = requestID
        log(request, context: context, requestID: requestID, status: Int(response.status.code), since: started, error: nil)
        return response
    }

    func log(_ request: Request, context: Context, requestID: String, status: Int, since started: ContinuousClock.Instant, error: (any Error)?) {
        let elapsed = ContinuousClock.now - started
        metrics.record(status: status)
        var metadata: Logger.Metadata = [
            "requestId": "\(requestID)", "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
            "status": "\(status)", "ms": "\(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)",
        ]
        if let error { metadata["error"] = "\(error)" }
        context.logger.info("request", metadata: metadata)
    }
}
