import HTTPTypes
import Hummingbird

/// The headers that keep a browser from framing, sniffing or leaking our pages, on every answer:
/// a thrown refusal is rendered here so that it gets them too.
///
/// Hummingbird's own errors (no route, a body over its limit) get the API's JSON error body, so a
/// client parses one shape of error whatever refused it.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headers: HTTPFields {
        [
            .contentSecurityPolicy: "default-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = APIError(error).response()
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        for field in Self.headers { response.headers[field.name] = field.value }
        return response
    }
}
