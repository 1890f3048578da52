import Foundation
import HTTPTypes
import Hummingbird

/// The API takes JSON bodies only: 415 for any other type, or for a body that names none.
///
/// A browser sends `text/plain`, `application/x-www-form-urlencoded` and `multipart/form-data` from
/// any site without asking first (no CORS preflight); `application/json` it sends cross-site only
/// after a preflight, which this web never answers. JSON is UTF-8 (RFC 8259): another charset is refused.
struct JSONBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard WebPaths.isAPI(request.uri.path) else { return try await next(request, context) }
        let contentType = request.headers[.contentType]
        let hasBody = request.headers[.transferEncoding] != nil || (request.headers[.contentLength].map { $0 != "0" } ?? false)
        guard contentType != nil || hasBody else { return try await next(request, context) }
        guard let contentType, Self.isJSON(contentType) else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "the API takes application/json bodies, not \(contentType ?? "a body without Content-Type"): send Content-Type: application/json")
        }
        return try await next(request, context)
    }

    /// `application/json`, with any parameters, a charset among them only if it is UTF-8.
    static func isJSON(_ contentType: String) -> Bool {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "application/json" else { return false }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.first?.lowercased() == "charset" else { continue }
            let value = pair.count > 1 ? pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased() : ""
            if value != "utf-8" { return false }
        }
        return true
    }
}
