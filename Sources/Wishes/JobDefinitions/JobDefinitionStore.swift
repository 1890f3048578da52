#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Job definitions in the wishes' bucket: one object per revision, so registering never rewrites
/// another revision and two registrations racing for a number get one each (`If-None-Match: *`).
package struct JobDefinitionStore: Sendable {
    let objects: any ObjectStorage
    let layout: S3Layout

    package init(objects: any ObjectStorage, layout: S3Layout) {
        self.objects = objects
        self.layout = layout
    }

    /// How many definitions (all revisions) a list shows: a bound, not a page.
    package static let maxListed = 1_000

    package enum Failure: Error, CustomStringConvertible {
        /// Registrations kept taking the next number first.
        case contended(String)
        package var description: String {
            switch self {
            case .contended(let name): "registrations of \(name) kept racing this one for a revision number: register it again"
            }
        }
    }

    /// Stores `draft` as the name's next revision and returns it as stored.
    package func register(_ draft: JobDefinition, now: Date) async throws -> JobDefinition {
        var definition = draft
        definition.status = .active
        definition.registeredAt = now
        definition.deregisteredAt = nil
        var next = try await revisions(draft.name).last.map { $0 + 1 } ?? 1
        for _ in 0..<20 {
            definition.revision = next
            if try await objects.putIfAbsent(layout.jobDefinition(draft.name, revision: next), WishJSON.encode(definition)) { return definition }
            next += 1
        }
        throw Failure.contended(draft.name)
    }

    /// The revision numbers of a name, oldest first.
    func revisions(_ name: String) async throws -> [Int] {
        try await objects.listAll(prefix: layout.jobDefinitionPrefix(name), limit: 100_000).compactMap { layout.revision(ofJobDefinitionKey: $0.key) }
            .sorted()
    }

    /// One revision, or nil when the name never had it. The built-in definition is always there.
    package func read(_ name: String, revision: Int) async throws -> JobDefinition? {
        if name == JobDefinition.builtIn.name { return revision == JobDefinition.builtIn.revision ? .builtIn : nil }
        guard let object = try await objects.get(layout.jobDefinition(name, revision: revision)) else { return nil }
        return try WishJSON.decode(JobDefinition.self, from: object.body)
    }

    /// What a reference names: that revision, or the newest ACTIVE one (nil when none is).
    package func find(_ reference: JobDefinitionReference) async throws -> JobDefinition? {
        if let revision = reference.revision { return try await read(reference.name, revision: revision) }
        if reference.name == JobDefinition.builtIn.name { return .builtIn }
        for revision in try await revisions(reference.name).reversed() {
            if let definition = try await read(reference.name, revision: revision), definition.status == .active { return definition }
        }
        return nil
    }

    /// Every revision of every definition (the built-in first), at most `maxListed`, by name then revision.
    package func list(name: String? = nil, status: JobDefinition.Status? = nil) async throws -> [JobDefinition] {
        let prefix = name.map(layout.jobDefinitionPrefix) ?? layout.jobDefinitionsPrefix
        let keys = try await objects.listAll(prefix: prefix, limit: Self.maxListed).map(\.key)
        let read = await concurrentMap(keys, limit: 16) { key -> Result<JobDefinition?, any Error> in
            do { return .success(try await objects.get(key).map { try WishJSON.decode(JobDefinition.self, from: $0.body) }) } catch { return .failure(error) }
        }
        var definitions = try read.compactMap { try $0.get() }
        if name == nil || name == JobDefinition.builtIn.name { definitions.insert(.builtIn, at: 0) }
        return definitions.filter { status == nil || $0.status == status }
    }

    package enum DeregisterOutcome: Sendable {
        case deregistered(JobDefinition)
        case notFound
        case builtIn
    }

    /// Marks a revision INACTIVE; it stays readable. Deregistering twice answers the same, also
    /// when the two race: the one whose write loses reads the revision again and finds it INACTIVE.
    package func deregister(_ name: String, revision: Int, now: Date) async throws -> DeregisterOutcome {
        if name == JobDefinition.builtIn.name { return .builtIn }
        let key = layout.jobDefinition(name, revision: revision)
        while true {
            guard let object = try await objects.get(key) else { return .notFound }
            var definition = try WishJSON.decode(JobDefinition.self, from: object.body)
            guard definition.status == .active else { return .deregistered(definition) }
            definition.status = .inactive
            definition.deregisteredAt = now
            do {
                try await objects.put(
                    key, WishJSON.encode(definition), contentType: "application/json", condition: object.etag.map { .matches(etag: $0) },
                    sensitive: false)
                return .deregistered(definition)
            } catch ObjectStorageError.conditionFailed {
                // Only a deregistration changes a stored revision, so the next read ends the loop.
                continue
            }
        }
    }

    /// A wish request as it runs: its `jobDefinition` looked up (an unknown or INACTIVE one is a
    /// problem of the wish), and every field it leaves out taken from that definition.
    package func wishSpec(from request: [String: JSONValue], now: Date) async throws -> WishSpec {
        let definition = try await definition(for: request)
        switch Result(catching: { () throws(WishValidationError) -> WishSpec in try WishSpec.parse(object: request, now: now, definition: definition) }) {
        case .success(let spec): return spec
        case .failure(let error): throw error
        }
    }

    /// The definition a request names, or nil when it names none.
    package func definition(for request: [String: JSONValue]) async throws -> JobDefinition? {
        guard let value = request["jobDefinition"] else { return nil }
        guard case .string(let text) = value, let reference = JobDefinitionReference(text) else {
            throw WishValidationError(problems: [.init(field: "jobDefinition", rule: "must be a job definition's name or name:revision")])
        }
        guard let definition = try await find(reference) else {
            let rule =
                reference.revision == nil
                ? "no active job definition \(reference.name): register one with POST /api/job-definitions"
                : "no job definition \(reference): GET /api/job-definitions lists them"
            throw WishValidationError(problems: [.init(field: "jobDefinition", rule: rule)])
        }
        guard definition.status == .active else {
            throw WishValidationError(problems: [
                .init(field: "jobDefinition", rule: "\(definition.reference) is INACTIVE (deregistered): name an active revision or register a new one")
            ])
        }
        return definition
    }
}
