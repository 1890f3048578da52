import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Wishes
@testable import WishesAWS
@testable import WishesWeb

/// `/api/job-definitions` and wishes made from definitions, through the router, as a client sees
/// them: definitions and wishes in the in-memory store, and only the queue on moto (a submit
/// answers 202 only once its message is sent).
@Suite struct JobDefinitionsAPITests {
    struct Fixture: Sendable {
        var objects: MemoryObjectStorage
        var store: WishStore
    }

    func withWeb(_ body: @escaping @Sendable (any TestClientProtocol, Fixture) async throws -> Void) async throws {
        let aws = try await TestAWS.moto()
        try await aws.withQueue { queue in
            let settings = WishesSettings(bucket: "memory", queueURL: queue, asapQueueURL: queue)
            let objects = MemoryObjectStorage()
            let store = WishStore(objects: objects, layout: settings.layout)
            let web = WebApp(book: WishBook(aws: AWSClients(client: aws.client), store: store, settings: settings), token: nil)
            try await Application(router: web.router()).test(.router) { client in try await body(client, Fixture(objects: objects, store: store)) }
        }
    }

    static let json: HTTPFields = [.contentType: "application/json"]

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any], "\(String(buffer: response.body))")
    }

    /// The fields of an error's problems, and its text, for messages that must name something.
    static func problems(_ response: TestResponse) throws -> (fields: Set<String>, text: String) {
        let problems = try object(response)["problems"] as? [[String: String]] ?? []
        return (Set(problems.compactMap { $0["field"] }), String(buffer: response.body))
    }

    func post(_ client: some TestClientProtocol, _ path: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: Self.json, body: ByteBuffer(string: body))
    }

    func register(_ client: some TestClientProtocol, _ body: String) async throws -> [String: Any] {
        let response = try await post(client, "/api/job-definitions", body)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try Self.object(response)
    }

    func get(_ client: some TestClientProtocol, _ path: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get)
    }

    func delete(_ client: some TestClientProtocol, _ path: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .delete)
    }

    /// Submits a wish and reads it back, as stored, through `GET /api/wishes/{id}`.
    func submitAndRead(_ client: some TestClientProtocol, _ body: String) async throws -> [String: Any] {
        let posted = try await post(client, "/api/wishes", body)
        #expect(posted.status == .accepted, "\(String(buffer: posted.body))")
        let id = try #require(try Self.object(posted)["id"] as? String)
        let read = try await get(client, "/api/wishes/\(id)")
        #expect(read.status == .ok)
        return try Self.object(read)
    }

    static func names(_ definitions: Any?) -> [String] {
        (definitions as? [[String: Any]] ?? []).compactMap { item in
            guard let name = item["name"] as? String, let revision = item["revision"] as? Int else { return nil }
            return "\(name):\(revision)"
        }
    }

    @Test func registeringANameAgainAnswers201WithItsNextRevision() async throws {
        try await withWeb { client, _ in
            let first = try await post(client, "/api/job-definitions", #"{"name":"render","image":"busybox:1.36","command":["echo","one"]}"#)
            #expect(first.status == .created)
            #expect(first.headers[.location] == "/api/job-definitions/render:1")
            let body = try Self.object(first)
            #expect(body["name"] as? String == "render")
            #expect(body["revision"] as? Int == 1)
            #expect(body["status"] as? String == "ACTIVE")
            #expect(body["image"] as? String == "busybox:1.36")
            #expect((body["registeredAt"] as? String).flatMap(RFC3339.parse) != nil)
            #expect(body["deregisteredAt"] == nil)
            let second = try await post(client, "/api/job-definitions", #"{"name":"render","image":"busybox:1.37"}"#)
            #expect(second.status == .created)
            #expect(second.headers[.location] == "/api/job-definitions/render:2")
            #expect(try Self.object(second)["revision"] as? Int == 2)
            let other = try await register(client, #"{"name":"other","image":"alpine"}"#)
            #expect(other["revision"] as? Int == 1, "revisions count per name")
        }
    }

    @Test func theListShowsEveryRevisionAndFiltersByStatusAndName() async throws {
        try await withWeb { client, _ in
            _ = try await register(client, #"{"name":"a","image":"busybox"}"#)
            _ = try await register(client, #"{"name":"a","image":"busybox"}"#)
            _ = try await register(client, #"{"name":"b","image":"busybox"}"#)
            #expect(try await delete(client, "/api/job-definitions/a:1").status == .ok)

            let all = try Self.object(try await get(client, "/api/job-definitions"))
            #expect(Self.names(all["jobDefinitions"]) == ["count-to-three:1", "a:1", "a:2", "b:1"], "the built-in first, then by name and revision")
            let active = try Self.object(try await get(client, "/api/job-definitions?status=ACTIVE"))
            #expect(Self.names(active["jobDefinitions"]) == ["count-to-three:1", "a:2", "b:1"])
            let inactive = try Self.object(try await get(client, "/api/job-definitions?status=INACTIVE"))
            #expect(Self.names(inactive["jobDefinitions"]) == ["a:1"])
            let named = try Self.object(try await get(client, "/api/job-definitions?name=a"))
            #expect(Self.names(named["jobDefinitions"]) == ["a:1", "a:2"])
            let both = try Self.object(try await get(client, "/api/job-definitions?name=a&status=ACTIVE"))
            #expect(Self.names(both["jobDefinitions"]) == ["a:2"])

            let badStatus = try await get(client, "/api/job-definitions?status=GONE")
            #expect(badStatus.status == .badRequest)
            #expect(try Self.object(badStatus)["error"] as? String == "invalid_status")
            let badName = try await get(client, "/api/job-definitions?name=no%20spaces")
            #expect(badName.status == .badRequest)
            #expect(try Self.object(badName)["error"] as? String == "invalid_name")
        }
    }

    @Test func aNameAloneDescribesItsLatestActiveRevisionAndNameColonRevisionThatOne() async throws {
        try await withWeb { client, _ in
            _ = try await register(client, #"{"name":"tool","image":"busybox:1.36"}"#)
            _ = try await register(client, #"{"name":"tool","image":"busybox:1.37"}"#)
            let latest = try Self.object(try await get(client, "/api/job-definitions/tool"))
            #expect(latest["revision"] as? Int == 2)
            #expect(latest["image"] as? String == "busybox:1.37")
            let first = try Self.object(try await get(client, "/api/job-definitions/tool:1"))
            #expect(first["revision"] as? Int == 1)
            #expect(first["image"] as? String == "busybox:1.36")
            let encoded = try await get(client, "/api/job-definitions/tool%3A1")
            #expect(encoded.status == .ok, "a client that percent-encodes the colon names the same revision")
            #expect(try Self.object(encoded)["revision"] as? Int == 1)
            #expect(try await get(client, "/api/job-definitions/tool:+1").status == .notFound, "a revision is digits only: one spelling each")
            let builtIn = try Self.object(try await get(client, "/api/job-definitions/count-to-three"))
            #expect(builtIn["revision"] as? Int == 1)
            #expect(builtIn["status"] as? String == "ACTIVE")
        }
    }

    @Test func aDeregisteredRevisionIsInactiveStillReadableAndRefusedToAWish() async throws {
        try await withWeb { client, _ in
            _ = try await register(client, #"{"name":"job","image":"busybox","command":["echo","one"]}"#)
            _ = try await register(client, #"{"name":"job","image":"busybox","command":["echo","two"]}"#)
            let deleted = try await delete(client, "/api/job-definitions/job:2")
            #expect(deleted.status == .ok)
            let gone = try Self.object(deleted)
            #expect(gone["status"] as? String == "INACTIVE")
            #expect((gone["deregisteredAt"] as? String).flatMap(RFC3339.parse) != nil)

            let read = try await get(client, "/api/job-definitions/job:2")
            #expect(read.status == .ok, "a deregistered revision stays readable")
            #expect(try Self.object(read)["status"] as? String == "INACTIVE")
            #expect(try Self.object(try await get(client, "/api/job-definitions/job"))["revision"] as? Int == 1, "the name alone is its latest ACTIVE revision")
            let again = try await delete(client, "/api/job-definitions/job:2")
            #expect(again.status == .ok, "deregistering twice answers the same")
            // The stored time, read back: within a millisecond, since a time decoded from RFC 3339 may print 1 ms lower.
            let first = try #require((gone["deregisteredAt"] as? String).flatMap(RFC3339.parse))
            let stored = try #require((try Self.object(again)["deregisteredAt"] as? String).flatMap(RFC3339.parse))
            #expect(abs(stored.timeIntervalSince(first)) < 0.002, "the first deregistration's time stays")

            let refused = try await post(client, "/api/wishes", #"{"jobDefinition":"job:2"}"#)
            #expect(refused.status == .badRequest)
            let problems = try Self.problems(refused)
            #expect(problems.fields == ["jobDefinition"])
            #expect(problems.text.contains("job:2") && problems.text.contains("INACTIVE"), "\(problems.text)")
            let onFirst = try await submitAndRead(client, #"{"jobDefinition":"job"}"#)
            #expect((onFirst["spec"] as? [String: Any])?["command"] as? [String] == ["echo", "one"])
            #expect(onFirst["jobDefinition"] as? String == "job:1")

            #expect(try await delete(client, "/api/job-definitions/job:1").status == .ok)
            let none = try await post(client, "/api/wishes", #"{"jobDefinition":"job"}"#)
            #expect(none.status == .badRequest, "no ACTIVE revision is left")
            #expect(try Self.problems(none).fields == ["jobDefinition"])
            #expect(try await get(client, "/api/job-definitions/job").status == .notFound)
        }
    }

    /// Two deregistrations of one revision at once both answer 200: the one whose conditional write
    /// loses reads the revision again and finds it INACTIVE, rather than failing with a 500.
    @Test func deregistrationsRacingForOneRevisionBothAnswer200() async throws {
        try await withWeb { client, _ in
            for round in 1...5 {
                _ = try await register(client, #"{"name":"race","image":"busybox"}"#)
                async let first = delete(client, "/api/job-definitions/race:\(round)")
                async let second = delete(client, "/api/job-definitions/race:\(round)")
                let answers = try await [first, second]
                #expect(answers.map(\.status) == [.ok, .ok], "round \(round): \(answers.map { String(buffer: $0.body) })")
                #expect(try answers.map { try Self.object($0)["status"] as? String } == ["INACTIVE", "INACTIVE"])
            }
        }
    }

    @Test func anUnknownDefinitionIs404ToDescribeAnd400NamingJobDefinitionToAWish() async throws {
        try await withWeb { client, fixture in
            for path in [
                "/api/job-definitions/nothing", "/api/job-definitions/nothing:3", "/api/job-definitions/count-to-three:2", "/api/job-definitions/bad%20name",
            ] {
                let response = try await get(client, path)
                #expect(response.status == .notFound, "\(path)")
                #expect(try Self.object(response)["error"] as? String == "not_found")
            }
            #expect(try await delete(client, "/api/job-definitions/nothing:1").status == .notFound)
            for reference in ["nothing", "nothing:3", "no spaces", "job:0"] {
                let response = try await post(client, "/api/wishes", #"{"wish":"w","jobDefinition":"\#(reference)"}"#)
                #expect(response.status == .badRequest, "\(reference)")
                #expect(try Self.problems(response).fields == ["jobDefinition"], "\(reference)")
            }
            let notText = try await post(client, "/api/wishes", #"{"wish":"w","jobDefinition":7}"#)
            #expect(try Self.problems(notText).fields == ["jobDefinition"])
            #expect(fixture.objects.calls["put", default: 0] == 0, "a refused wish writes nothing")
        }
    }

    @Test func badFieldsAreRefusedWith400NamingEveryOne() async throws {
        try await withWeb { client, fixture in
            let body = #"""
                {"name":"has space","image":"Not/An Image","command":["ok",""],"parameters":{"bad name":"x","n":5},
                 "environment":[{"name":"1BAD","value":"x"}],"vcpus":3,"attempts":0,"evaluateOnExit":[{"action":"MAYBE"}],
                 "timeoutSeconds":5,"jobRoleArn":"not-an-arn","queue":"asap"}
                """#
            let response = try await post(client, "/api/job-definitions", body)
            #expect(response.status == .badRequest)
            #expect(try Self.object(response)["error"] as? String == "invalid_job_definition")
            let fields = try Self.problems(response).fields
            let expected: Set<String> = [
                "name", "image", "command[1]", "parameters.bad name", "parameters.n", "environment[0].name", "vcpus", "attempts",
                "evaluateOnExit[0].action", "timeoutSeconds", "jobRoleArn", "queue",
            ]
            #expect(fields == expected, "missing \(expected.subtracting(fields)), extra \(fields.subtracting(expected))")

            let empty = try await post(client, "/api/job-definitions", "{}")
            #expect(try Self.problems(empty).fields == ["name", "image"], "both required")
            let wrongTypes = try await post(client, "/api/job-definitions", #"{"name":5,"image":["busybox"],"memory":"lots"}"#)
            #expect(try Self.problems(wrongTypes).fields == ["name", "image", "memory"])
            #expect(try await post(client, "/api/job-definitions", "[1]").status == .badRequest)
            #expect(try await post(client, "/api/job-definitions", "not json").status == .badRequest)
            #expect(fixture.objects.calls["put", default: 0] == 0, "nothing is registered")
        }
    }

    @Test func deregisteringWithoutARevisionIs400() async throws {
        try await withWeb { client, _ in
            _ = try await register(client, #"{"name":"keep","image":"busybox"}"#)
            let response = try await delete(client, "/api/job-definitions/keep")
            #expect(response.status == .badRequest)
            let body = try Self.object(response)
            #expect(body["error"] as? String == "revision_required")
            #expect((body["message"] as? String)?.contains("keep:REVISION") == true)
            #expect(try Self.object(try await get(client, "/api/job-definitions/keep"))["status"] as? String == "ACTIVE", "nothing changed")
        }
    }

    @Test func theBuiltInDefinitionCanBeNeitherDeregisteredNorRegisteredOver() async throws {
        try await withWeb { client, _ in
            for path in ["/api/job-definitions/count-to-three:1", "/api/job-definitions/count-to-three:2"] {
                let response = try await delete(client, path)
                #expect(response.status == .badRequest, "\(path)")
                #expect(try Self.object(response)["error"] as? String == "built_in")
            }
            #expect(try Self.object(try await get(client, "/api/job-definitions/count-to-three:1"))["status"] as? String == "ACTIVE")
            let over = try await post(client, "/api/job-definitions", #"{"name":"count-to-three","image":"busybox"}"#)
            #expect(over.status == .badRequest)
            #expect(try Self.problems(over).fields == ["name"])
            let wish = try await submitAndRead(client, #"{"wish":"a pony","jobDefinition":"count-to-three:1"}"#)
            #expect(wish["jobDefinition"] as? String == "count-to-three:1")
            #expect((wish["spec"] as? [String: Any])?["image"] == nil, "the built-in runs in Wishes' own image")
        }
    }

    @Test func aWishsParametersFillTheRefPlaceholdersOfTheStoredCommand() async throws {
        try await withWeb { client, _ in
            _ = try await register(
                client,
                #"{"name":"greet","image":"busybox","command":["echo","Ref::greeting","Ref::who","Ref::unknown","not Ref::who"],"parameters":{"greeting":"hello","who":"world"}}"#
            )
            let wish = try await submitAndRead(client, #"{"jobDefinition":"greet","parameters":{"who":"you"}}"#)
            let spec = try #require(wish["spec"] as? [String: Any])
            #expect(
                spec["command"] as? [String] == ["echo", "hello", "you", "Ref::unknown", "not Ref::who"],
                "whole arguments only; one naming no parameter stays as written")
            #expect(spec["parameters"] as? [String: String] == ["greeting": "hello", "who": "you"], "the wish's own over the defaults")
            #expect(spec["jobDefinition"] as? String == "greet:1")
            #expect(spec["image"] as? String == "busybox")
            #expect(wish["jobDefinition"] as? String == "greet:1")

            let badParameter = try await post(client, "/api/wishes", #"{"jobDefinition":"greet","parameters":{"who":3}}"#)
            #expect(badParameter.status == .badRequest)
            #expect(try Self.problems(badParameter).fields == ["parameters.who"])
        }
    }

    @Test func aWishsOwnFieldsWinOverTheDefinitions() async throws {
        try await withWeb { client, fixture in
            _ = try await register(
                client,
                #"""
                {"name":"heavy","image":"busybox","command":["sh","-c","echo definition"],"vcpus":1,"memory":2048,"attempts":3,"timeoutSeconds":600,
                 "environment":[{"name":"MODE","value":"definition"},{"name":"KEPT","value":"inherited"}]}
                """#)
            let inherited = try #require(try await submitAndRead(client, #"{"jobDefinition":"heavy"}"#)["spec"] as? [String: Any])
            #expect(inherited["command"] as? [String] == ["sh", "-c", "echo definition"])
            #expect(inherited["vcpus"] as? Double == 1)
            #expect(inherited["memory"] as? Int == 2048)
            #expect(inherited["attempts"] as? Int == 3)
            #expect(inherited["timeoutSeconds"] as? Int == 600)

            let wish = try await submitAndRead(
                client,
                #"""
                {"jobDefinition":"heavy","command":["sh","-c","echo wish"],"vcpus":2,"memory":4096,"attempts":1,"timeoutSeconds":120,
                 "environment":[{"name":"MODE","value":"wish"},{"name":"EXTRA","value":"own"}]}
                """#)
            let spec = try #require(wish["spec"] as? [String: Any])
            #expect(spec["command"] as? [String] == ["sh", "-c", "echo wish"])
            #expect(spec["vcpus"] as? Double == 2)
            #expect(spec["memory"] as? Int == 4096)
            #expect(spec["attempts"] as? Int == 1)
            #expect(spec["timeoutSeconds"] as? Int == 120)
            let environment = try #require(spec["environment"] as? [[String: Any]])
            #expect(environment.compactMap { $0["name"] as? String } == ["KEPT", "MODE", "EXTRA"], "laid over the definition's by name")
            #expect(environment.allSatisfy { $0["value"] == nil }, "the wish shows names only")
            let id = try #require((wish["id"] as? String).flatMap(WishID.init))
            #expect(try await fixture.store.secrets(id) == ["KEPT": "inherited", "MODE": "wish", "EXTRA": "own"], "the task gets the merged values")
        }
    }
}
