import Foundation
import Testing

@testable import Wishes

/// Job definitions over the in-memory store: revisions, deregistration, and wishes made from them.
@Suite struct JobDefinitionTests {
    let store = JobDefinitionStore(objects: MemoryObjectStorage(), layout: S3Layout())
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func draft(_ object: [String: JSONValue]) throws -> JobDefinition {
        try JobDefinition.parse(object: object, now: now)
    }

    @Test func registeringANameAgainMakesItsNextRevision() async throws {
        let first = try await store.register(draft(["name": .string("ffmpeg"), "image": .string("busybox:1.36")]), now: now)
        let second = try await store.register(draft(["name": .string("ffmpeg"), "image": .string("busybox:1.37")]), now: now)
        #expect(first.revision == 1)
        #expect(second.revision == 2)
        #expect(try await store.find(JobDefinitionReference(name: "ffmpeg"))?.image == "busybox:1.37")
        #expect(try await store.find(JobDefinitionReference(name: "ffmpeg", revision: 1))?.image == "busybox:1.36")
    }

    @Test func aDeregisteredRevisionStaysReadableAndCannotBeUsed() async throws {
        _ = try await store.register(draft(["name": .string("job"), "image": .string("busybox")]), now: now)
        _ = try await store.register(draft(["name": .string("job"), "image": .string("alpine")]), now: now)
        guard case .deregistered(let gone) = try await store.deregister("job", revision: 2, now: now) else {
            Issue.record("not deregistered")
            return
        }
        #expect(gone.status == .inactive)
        #expect(try await store.find(JobDefinitionReference(name: "job"))?.revision == 1)
        await #expect(throws: WishValidationError.self) {
            _ = try await store.wishSpec(from: ["jobDefinition": .string("job:2")], now: now)
        }
        await #expect(throws: WishValidationError.self) {
            _ = try await store.wishSpec(from: ["jobDefinition": .string("nothing")], now: now)
        }
    }

    @Test func aWishTakesTheDefinitionsFieldsAndFillsRefPlaceholders() async throws {
        let definition = try await store.register(
            draft([
                "name": .string("greet"), "image": .string("busybox"),
                "command": .array([.string("echo"), .string("Ref::greeting"), .string("Ref::who")]),
                "parameters": .object(["greeting": .string("hello"), "who": .string("world")]), "vcpus": .number(1), "memory": .number(2048),
            ]), now: now)
        let spec = try await store.wishSpec(from: ["jobDefinition": .string("greet"), "parameters": .object(["who": .string("you")])], now: now)
        #expect(spec.command == ["echo", "hello", "you"])
        #expect(spec.vcpus == 1 && spec.memory == 2048)
        #expect(spec.jobDefinition == definition.reference)
        #expect(spec.image == "busybox")
    }

    @Test func badFieldsAreAllNamed() {
        #expect(throws: WishValidationError.self) { try draft(["name": .string("a b"), "image": .string("Bad Image"), "vcpus": .number(3)]) }
        do {
            _ = try draft(["name": .string("a b"), "image": .string("Bad Image"), "vcpus": .number(3)])
        } catch let error as WishValidationError {
            #expect(Set(error.problems.map(\.field)).isSuperset(of: ["name", "image", "vcpus"]))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
