import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Wishes

/// Job definitions, mounted at `/api/job-definitions`: register (a new revision), list, describe,
/// deregister, as AWS Batch's RegisterJobDefinition, DescribeJobDefinitions and DeregisterJobDefinition.
struct JobDefinitionsAPI: Sendable {
    let book: WishBook
    var definitions: JobDefinitionStore { book.store.definitions }

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post(use: register)
        routes.get(use: list)
        routes.get(":reference", use: describe)
        routes.delete(":reference", use: deregister)
        return routes
    }

    @Sendable func register(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await WishesAPI.body(request)
        let draft: JobDefinition
        switch Result(catching: { () throws(WishValidationError) -> JobDefinition in try JobDefinition.parse(json: Array(buffer: body), now: Date()) }) {
        case .success(let value): draft = value
        case .failure(let error): throw APIError.invalidWish(error)
        }
        let stored: JobDefinition
        do {
            stored = try await definitions.register(draft, now: Date())
        } catch let error as JobDefinitionStore.Failure {
            // Its message tells the client what to do, which a bare 500 would hide.
            throw APIError(.conflict, "contended", "\(error)")
        }
        return try WishesAPI.json(stored, status: .created, headers: [.location: "/api/job-definitions/\(stored.reference)"])
    }

    @Sendable func list(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var status: JobDefinition.Status?
        if let text = request.uri.queryParameters.get("status") {
            guard let parsed = JobDefinition.Status(rawValue: text.uppercased()) else {
                throw APIError(.badRequest, "invalid_status", "status must be ACTIVE or INACTIVE")
            }
            status = parsed
        }
        var name: String?
        if let text = request.uri.queryParameters.get("name") {
            guard JobDefinitionReference.isValidName(text) else {
                throw APIError(.badRequest, "invalid_name", "name must be 1 to 128 characters of A-Z, a-z, 0-9, _ and -")
            }
            name = String(text)
        }
        struct Page: Encodable { var jobDefinitions: [JobDefinition] }
        return try WishesAPI.json(Page(jobDefinitions: try await definitions.list(name: name, status: status)))
    }

    @Sendable func describe(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        guard let definition = try await definitions.find(reference) else {
            throw APIError(.notFound, "not_found", reference.revision == nil ? "no active job definition \(reference.name)" : "no job definition \(reference)")
        }
        return try WishesAPI.json(definition)
    }

    @Sendable func deregister(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let reference = try Self.reference(context)
        guard let revision = reference.revision else {
            throw APIError(.badRequest, "revision_required", "name the revision to deregister: DELETE /api/job-definitions/\(reference.name):REVISION")
        }
        switch try await definitions.deregister(reference.name, revision: revision, now: Date()) {
        case .deregistered(let definition): return try WishesAPI.json(definition)
        case .notFound: throw APIError(.notFound, "not_found", "no job definition \(reference)")
        case .builtIn: throw APIError(.badRequest, "built_in", "\(reference) is built in: wishes that name no definition run it, so it stays")
        }
    }

    static func reference(_ context: BasicRequestContext) throws -> JobDefinitionReference {
        // Hummingbird hands over the segment as sent: a client that encodes the colon (`name%3A2`,
        // as encodeURIComponent and urllib's quote do) names the same revision.
        guard let text = context.parameters.get("reference").map({ $0.removingPercentEncoding ?? String($0) }),
            let reference = JobDefinitionReference(text)
        else {
            throw APIError(.notFound, "not_found", "no such job definition: name it as NAME or NAME:REVISION")
        }
        return reference
    }
}
