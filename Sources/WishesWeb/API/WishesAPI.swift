import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Wishes

/// The JSON API for programs, mounted at `/api/wishes`: submit, list, describe, output, cancel.
/// A route returns its success; every refusal is a thrown `APIError`.
struct WishesAPI: Sendable {
    let book: WishBook
    let metrics: WebMetrics
    static var idempotencyKeyField: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post(use: submit)
        routes.get(use: list)
        routes.get(":id", use: describe)
        routes.get(":id/output", use: output)
        routes.post(":id/cancel", use: cancel)
        routes.get(":id/children/:index", use: child)
        routes.get(":id/children/:index/output", use: childOutput)
        return routes
    }

    @Sendable func submit(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await Self.body(request)
        let spec: WishSpec
        do {
            let object = try WishSpec.requestObject(json: Array(buffer: body))
            spec = try await book.store.definitions.wishSpec(from: object, now: Date()).withWishText
        } catch let error as WishValidationError {
            throw APIError.invalidWish(error)
        }
        let key = request.headers[Self.idempotencyKeyField]
        if let key, key.isEmpty || key.count > 255 {
            throw APIError(.badRequest, "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 characters")
        }
        let status: WishStatus
        let created: Bool
        do {
            (status, created) = try await book.submit(spec, idempotencyKey: key)
        } catch let error as WishValidationError {
            throw APIError.invalidWish(error)
        } catch let error as WishBook.SubmitError {
            if case .idempotencyKeyReused = error { throw APIError(.unprocessableContent, "idempotency_key_reused", "\(error)") }
            throw APIError(.serviceUnavailable, "not_queued", "\(error)", awsError: error.awsErrorCode)
        }
        if created { metrics.increment("wishes_submitted_total") }
        // What runs: with the default timeout filled in, as the stored spec has it.
        let shown = (try? book.settings.limits.apply(to: spec)) ?? spec
        return try Self.json(WishView(spec: shown, status: status), status: .accepted, headers: [.location: "/api/wishes/\(status.id)"])
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let limitText = request.uri.queryParameters.get("limit")
        guard let limit = limitText.map({ Int($0) }) ?? 25, (1...100).contains(limit) else {
            throw APIError(.badRequest, "invalid_limit", "limit must be a whole number from 1 to 100")
        }
        var state: WishState?
        if let text = request.uri.queryParameters.get("status") {
            guard let parsed = WishState(rawValue: text.uppercased()) else {
                throw APIError(.badRequest, "invalid_status", "status must be one of \(WishState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = parsed
        }
        var after: WishID?
        if let text = request.uri.queryParameters.get("after") {
            guard let id = WishID(text) else { throw APIError(.badRequest, "invalid_after", "after must be a wish id") }
            after = id
        }
        let page = try await book.list(limit: limit, after: after, state: state)
        struct Page: Encodable {
            var wishes: [WishView]
            var next: WishID?
        }
        return try Self.json(Page(wishes: page.wishes.map { WishView(spec: $0.spec, status: $0.status) }, next: page.next))
    }

    @Sendable func describe(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let id = try Self.id(context)
        guard let detail = try await book.detail(id) else { throw APIError(.notFound, "not_found", "no wish \(id)") }
        return try Self.json(
            WishView(spec: detail.spec, status: detail.status, results: detail.results, children: detail.children, logs: book.settings.taskLogs))
    }

    @Sendable func output(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let id = try Self.id(context)
        let attemptText = request.uri.queryParameters.get("attempt")
        let attempt = attemptText.flatMap { Int($0) }
        if attemptText != nil, (attempt ?? 0) < 1 {
            throw APIError(.badRequest, "invalid_attempt", "attempt must be a whole number from 1")
        }
        guard let output = try await book.output(id, attempt: attempt) else { throw APIError(.notFound, "not_found", "no output yet") }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: .init(bytes: output)))
    }

    @Sendable func cancel(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let cancelled = try await book.cancel(try Self.id(context)) else { throw APIError(.notFound, "not_found", "no such wish") }
        return try Self.json(WishView(spec: cancelled.spec, status: cancelled.status), status: .accepted)
    }

    @Sendable func child(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let (id, index) = try Self.child(context)
        guard let detail = try await book.child(id, index: index) else { throw APIError(.notFound, "not_found", "wish \(id) has no array child \(index)") }
        return try Self.json(WishView(spec: detail.spec, status: detail.status, results: detail.results, logs: book.settings.taskLogs))
    }

    @Sendable func childOutput(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let (id, index) = try Self.child(context)
        let attemptText = request.uri.queryParameters.get("attempt")
        let attempt = attemptText.flatMap { Int($0) }
        if attemptText != nil, (attempt ?? 0) < 1 {
            throw APIError(.badRequest, "invalid_attempt", "attempt must be a whole number from 1")
        }
        guard let output = try await book.childOutput(id, index: index, attempt: attempt) else { throw APIError(.notFound, "not_found", "no output yet") }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: .init(bytes: output.bytes)))
    }

    /// The path's wish id and child index; anything else names no child, so it is 404.
    static func child(_ context: BasicRequestContext) throws -> (WishID, Int) {
        let id = try id(context)
        guard let index = context.parameters.get("index").flatMap({ Int($0) }), index >= 0 else {
            throw APIError(.notFound, "not_found", "no such array child: the index is a whole number from 0")
        }
        return (id, index)
    }

    /// The path's id; one that is no wish id (`..%2F..`) names no wish, so it is 404 like an unknown one.
    static func id(_ context: BasicRequestContext) throws -> WishID {
        guard let id = context.parameters.get("id").flatMap(WishID.init) else { throw APIError(.notFound, "not_found", "no such wish") }
        return id
    }

    /// The request's body, refused with 413 past `WebApp.maxBody`.
    static func body(_ request: Request) async throws -> ByteBuffer {
        do { return try await request.body.collect(upTo: WebApp.maxBody) } catch {
            throw APIError(.contentTooLarge, "too_large", "bodies are limited to \(WebApp.maxBody) bytes")
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: .init(bytes: try WishJSON.encode(value))))
    }
}
