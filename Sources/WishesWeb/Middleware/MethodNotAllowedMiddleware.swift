import HTTPTypes
import Hummingbird

/// A known path asked with a method it does not take gets 405 with `Allow`, not 404: the client
/// learns that the address is right and the verb is wrong.
///
/// Its table is the router's own list of routes, taken once every route is registered (see
/// `WebApp.router()`), so a new route is in it without anyone remembering to add it.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    struct Route: Sendable {
        var path: RouterPath
        /// In the order `Allow` lists them.
        var methods: [HTTPRequest.Method]
    }

    let routes: [Route]

    init(routes: [Router<Context>.RouteDescription]) {
        var table: [Route] = []
        for route in routes {
            if let index = table.firstIndex(where: { $0.path == route.path }) {
                if !table[index].methods.contains(route.method) { table[index].methods.append(route.method) }
            } else {
                table.append(Route(path: route.path, methods: [route.method]))
            }
        }
        self.routes = table.map { Route(path: $0.path, methods: $0.methods.sorted { $0.rawValue < $1.rawValue }) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let methods = allowedMethods(path: request.uri.path), !methods.contains(request.method) else { throw error }
            let allowed = methods.map(\.rawValue).joined(separator: ", ")
            let message = "\(request.method.rawValue) is not allowed here; use \(allowed)"
            throw APIError(.methodNotAllowed, "method_not_allowed", message, headers: [.allow: allowed])
        }
    }

    /// The methods of the first route whose path matches, as the router matches it; nil for a path no route has.
    func allowedMethods(path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        return routes.first { Self.matches($0.path, segments) }?.methods
    }

    static func matches(_ pattern: RouterPath, _ segments: [Substring]) -> Bool {
        let elements = Array(pattern)
        if let last = elements.last, last == .recursiveWildcard {
            return segments.count >= elements.count - 1 && zip(elements.dropLast(), segments).allSatisfy { $0 ~= $1 }
        }
        return elements.count == segments.count && zip(elements, segments).allSatisfy { $0 ~= $1 }
    }
}
