import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Security headers, the optional token, a request id and one JSON log line per request.
struct SecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let metrics: WebMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = UUID().uuidString.lowercased()
        var response: Response
        if let token, !Self.isOpen(request.uri.path), !authorized(request, token: token) {
            let isAPI = request.uri.path.hasPrefix("/api/")
            response = isAPI
                ? APIError.response(.unauthorized, "unauthorized", "send Authorization: Bearer <WISHES_API_TOKEN>")
                : Response(status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"Wishes\"", .contentType: "text/plain"],
                           body: .init(byteBuffer: .init(string: "sign in with any user name and the API token as password\n")))
        } else {
            do {
                response = try await next(request, context)
            } catch let error as HTTPError {
                response = APIError.response(error.status, "error", error.body ?? error.status.reasonPhrase)
            }
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

    static func isOpen(_ path: String) -> Bool { ["/healthz", "/metrics", "/style.css"].contains(path) }

    func authorized(_ request: Request, token: String) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        if header.hasPrefix("Bearer ") { return constantTimeEqual(String(header.dropFirst(7)), token) }
        if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
           let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") {
            return constantTimeEqual(String(text[text.index(after: colon)...]), token)
        }
        return false
    }

    func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
