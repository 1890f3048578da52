import HTTPTypes
import Hummingbird

/// A known path asked with a method it does not take gets 405 with `Allow`, not 404: the client
/// learns that the address is right and the verb is wrong.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Every route of `WebApp`, `*` standing for one path segment.
    static var routes: [(path: [Substring], methods: [HTTPRequest.Method])] {
        [
            ("/", [.get]), ("/healthz", [.get]), ("/metrics", [.get]), ("/style.css", [.get]), ("/openapi.yaml", [.get]), ("/login", [.get, .post]),
            ("/wishes", [.get, .post]), ("/wishes/*", [.get]), ("/wishes/*/cancel", [.post]),
            ("/api/wishes", [.get, .post]), ("/api/wishes/*", [.get]), ("/api/wishes/*/output", [.get]), ("/api/wishes/*/cancel", [.post]),
        ].map { (path: $0.0.split(separator: "/"), methods: $0.1) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            guard let route = Self.routes.first(where: { Self.matches($0.path, segments) }), !route.methods.contains(request.method) else {
                throw error
            }
            let allowed = route.methods.map(\.rawValue).joined(separator: ", ")
            var response = APIError.response(.methodNotAllowed, "method_not_allowed", "\(request.method.rawValue) is not allowed here; use \(allowed)")
            response.headers[.allow] = allowed
            return response
        }
    }

    static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0 == "*" || $0 == $1 }
    }
}
