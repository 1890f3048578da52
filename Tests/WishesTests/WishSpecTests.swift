import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

struct WishSpecTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    func parse(_ json: String) throws(WishValidationError) -> WishSpec {
        try WishSpec.parse(json: Array(json.utf8), now: Self.now)
    }

    func problems(_ json: String) -> [WishValidationError.Problem] {
        do {
            _ = try parse(json)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func aPlainWishGetsTheDefaults() throws {
        let spec = try parse(#"{"wish":"a pony"}"#)
        #expect(spec == WishSpec(wish: "a pony"))
        #expect(spec.queue == .default && spec.vcpus == 0.25 && spec.memory == 512 && spec.attempts == 1)
    }

    @Test func everyFieldParses() throws {
        let id = WishID.generate(at: Self.now)
        let spec = try parse(
            """
            {"wish":"w","name":"build-1","command":["./build.sh","test_job","123"],"environment":[{"name":"TOKEN","value":"s3cr3t"}],
             "vcpus":1,"memory":4096,"queue":"asap-uninterruptible","attempts":3,"timeoutSeconds":600,"arraySize":3,
             "dependsOn":["\(id)",{"jobId":"\(WishID.generate(at: Self.now.addingTimeInterval(1)))"}],
             "notBefore":"2026-09-22T10:00:00+02:00","callbackUrl":"https://example.com/hook?x=1"}
            """)
        #expect(spec.command == ["./build.sh", "test_job", "123"])
        #expect(spec.secrets == ["TOKEN": "s3cr3t"])
        #expect(spec.queue.capacityProvider == "FARGATE" && spec.queue.isASAP)
        #expect(spec.dependsOn?.first == .whole(id) && spec.dependsOn?.count == 2)
        #expect(spec.notBefore == RFC3339.parse("2026-09-22T08:00:00Z"))
    }

    @Test func everyProblemIsNamedAtOnce() {
        let found = problems(
            """
            {"wish":"\(String(repeating: "x", count: 1001))","name":"bad name!","command":[""],"environment":[{"name":"1BAD","value":"v"}],
             "vcpus":0.3,"queue":"fast","attempts":11,"timeoutSeconds":59,"arraySize":1,"dependsOn":["../../etc"],
             "notBefore":"tomorrow","callbackUrl":"ftp://x","colour":"red"}
            """)
        let fields = Set(found.map(\.field))
        for field in [
            "wish", "name", "command[0]", "environment[0].name", "vcpus", "queue", "attempts", "timeoutSeconds",
            "arraySize", "dependsOn[0]", "notBefore", "callbackUrl", "colour",
        ] {
            #expect(fields.contains(field), "no problem named for \(field): \(found)")
        }
    }

    @Test(arguments: [
        (0.25, 512, true), (0.25, 4096, false), (0.5, 3072, true), (1, 8192, true), (2, 3072, false),
        (4, 30720, true), (8, 20480, true), (8, 18432, false), (16, 122_880, true), (16, 40960, true), (3, 8192, false),
    ])
    func fargateSizesFollowTheTable(vcpus: Double, memory: Int, valid: Bool) {
        #expect(problems(#"{"wish":"x","vcpus":\#(vcpus),"memory":\#(memory)}"#).isEmpty == valid)
    }

    @Test func theMemoryErrorListsWhatIsAllowed() {
        let found = problems(#"{"wish":"x","vcpus":0.25,"memory":4096}"#)
        #expect(found == [.init(field: "memory", rule: "4096 MiB is not a Fargate size for 0.25 vCPU; allowed: 512, 1024, 2048")])
    }

    @Test func wrongTypesAreNamed() {
        let found = problems(#"{"wish":5,"attempts":"3","command":"ls","environment":{"A":"b"}}"#)
        #expect(found.contains(.init(field: "wish", rule: "must be a string, not a number")))
        #expect(found.contains(.init(field: "attempts", rule: "must be a number, not a string")))
        #expect(found.contains { $0.field == "command" })
        #expect(found.contains { $0.field == "environment" })
    }

    @Test func bodiesThatAreNotObjectsAreRefused() {
        #expect(problems("[]") == [.init(field: "body", rule: "must be a JSON object, not an array")])
        #expect(problems("{nope") == [.init(field: "body", rule: "must be a JSON object")])
    }

    @Test func aCommandMayStandWithoutWishText() throws {
        #expect(try parse(#"{"command":["echo","hi"]}"#).wish == "")
        #expect(problems("{}") == [.init(field: "wish", rule: "required unless command is given")])
    }

    @Test func environmentNamesAreCheckedAndValuesNeverEchoed() {
        let found = problems(
            #"{"wish":"x","environment":[{"name":"WISH_ID","value":"hidden-1"},{"name":"A","value":"hidden-2"},{"name":"A","value":"hidden-3"},{"name":"B"}]}"#)
        #expect(found.map(\.field) == ["environment[0].name", "environment[2].name", "environment[3]"])
        #expect(!"\(WishValidationError(problems: found))".contains("hidden"))
    }

    @Test func overridesMustFitECSsLimit() {
        let big = (0..<60).map { #"{"name":"V\#($0)","value":"\#(String(repeating: "v", count: 100))"}"# }.joined(separator: ",")
        #expect(problems(#"{"wish":"x","environment":[\#(big)]}"#).map(\.field) == ["command"])
    }

    @Test func limitsOnDependenciesAndTheFuture() {
        let ids = (0..<21).map { "\"\(WishID.generate(at: Self.now.addingTimeInterval(Double($0))))\"" }.joined(separator: ",")
        #expect(problems(#"{"wish":"x","dependsOn":[\#(ids)]}"#).map(\.field) == ["dependsOn"])
        #expect(problems(#"{"wish":"x","notBefore":"2030-01-01T00:00:00Z"}"#).map(\.field) == ["notBefore"])
        #expect(problems(#"{"wish":"x","notBefore":"2026-10-01T00:00:00.5Z"}"#).isEmpty)
    }

    @Test func arrayDependencyTypesParseAsAWSBatchDefinesThem() throws {
        let (paired, whole, plain) = (WishID.generate(at: Self.now), WishID.generate(at: Self.now + 1), WishID.generate(at: Self.now + 2))
        let spec = try parse(
            #"{"wish":"w","arraySize":3,"dependsOn":[{"type":"SEQUENTIAL"},{"jobId":"\#(paired)","type":"N_TO_N"},{"jobId":"\#(whole)"},"\#(plain)"]}"#)
        #expect(spec.dependsOn == [.sequential, .nToN(paired), .whole(whole), .whole(plain)])
        #expect(spec.isSequential && spec.pairedDependencies == [paired] && spec.wholeDependencies == [whole, plain])
        // Batch's type on a plain dependency of a wish that is not an array is not needed: without one, it is today's meaning.
        #expect(try parse(#"{"wish":"w","dependsOn":[{"jobId":"\#(whole)"}]}"#).dependsOn == [.whole(whole)])
    }

    @Test(arguments: [
        (#"{"jobId":"ID","type":"ALL"}"#, true, "dependsOn[0].type"),
        (#"{"jobId":"ID","type":"n_to_n"}"#, true, "dependsOn[0].type"),
        (#"{"jobId":"ID","type":null}"#, true, "dependsOn[0].type"),
        (#"{"jobId":"ID","type":"SEQUENTIAL"}"#, true, "dependsOn[0].jobId"),
        (#"{"type":"N_TO_N"}"#, true, "dependsOn[0].jobId"),
        (#"{"type":"SEQUENTIAL"}"#, false, "dependsOn[0].type"),
        (#"{"jobId":"ID","type":"N_TO_N"}"#, false, "dependsOn[0].type"),
        (#"{"type":"SEQUENTIAL"},{"type":"SEQUENTIAL"}"#, true, "dependsOn[1].type"),
        (#"{}"#, true, "dependsOn[0].jobId"),
        (#"{"jobId":null}"#, true, "dependsOn[0].jobId"),
        (#"{"jobId":"ID","kind":"N_TO_N"}"#, true, "dependsOn[0].kind"),
        (#"7"#, true, "dependsOn[0]"),
    ])
    func badArrayDependenciesAreRefusedNamingTheField(dependency: String, isArray: Bool, field: String) {
        let items = dependency.replacingOccurrences(of: "ID", with: WishID.generate(at: Self.now).rawValue)
        let found = problems(#"{"wish":"w",\#(isArray ? #""arraySize":3,"# : "")"dependsOn":[\#(items)]}"#)
        #expect(found.map(\.field) == [field], "\(found)")
    }

    /// `spec.json` written before dependency types held plain id strings; it still reads, and a
    /// dependency without a type is still written that way, so older readers read new specs too.
    @Test func aSpecStoredBeforeDependencyTypesStillDecodes() throws {
        let (first, second) = (WishID.generate(at: Self.now), WishID.generate(at: Self.now + 1))
        let stored = #"{"wish":"w","vcpus":0.25,"memory":512,"queue":"default","attempts":1,"dependsOn":["\#(first)","\#(second)"]}"#
        let spec = try WishJSON.decode(WishSpec.self, from: Array(stored.utf8))
        #expect(spec.dependsOn == [.whole(first), .whole(second)])
        #expect(String(decoding: try WishJSON.encode(spec), as: UTF8.self).contains(#""dependsOn":["\#(first)","\#(second)"]"#))
        var typed = spec
        typed.arraySize = 3
        typed.dependsOn = [.sequential, .nToN(first), .whole(second)]
        let written = try WishJSON.encode(typed)
        #expect(String(decoding: written, as: UTF8.self).contains(#"[{"type":"SEQUENTIAL"},{"jobId":"\#(first)","type":"N_TO_N"},"\#(second)"]"#))
        #expect(try WishJSON.decode(WishSpec.self, from: written) == typed)
        #expect(throws: DecodingError.self) { try WishJSON.decode(WishDependency.self, from: Array(#"{"type":"N_TO_N"}"#.utf8)) }
    }

    @Test func theStoredCopyHoldsNoSecrets() throws {
        let spec = try parse(#"{"wish":"x","environment":[{"name":"TOKEN","value":"s3cr3t"}]}"#)
        let stored = String(decoding: try JSONEncoder().encode(spec.redacted), as: UTF8.self)
        #expect(!stored.contains("s3cr3t") && stored.contains("TOKEN"))
        #expect(spec.redacted.restoring(secrets: spec.secrets) == spec)
    }
}

struct WishIDTests {
    @Test func idsSortByTime() {
        let base = Date(timeIntervalSince1970: 1_790_000_000)
        // Ids of the same millisecond order by their random tail; a millisecond apart, by time.
        let ids = (0..<1000).map { WishID.generate(at: base.addingTimeInterval(Double($0) * 0.002)) }
        #expect(zip(ids, ids.dropFirst()).filter { $0 >= $1 }.count == 0)
        #expect(Set(ids).count == 1000)
        #expect(abs(ids[0].date.timeIntervalSince(base)) < 0.001)
    }

    @Test(arguments: [
        "", "../../../etc/passwd", "01arz3ndektsv4rrffq69g5fa/", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "01arz3ndektsv4rrffq69g5fiu",
        "81arz3ndektsv4rrffq69g5fav", "01arz3ndektsv4rrffq69g5f%2e", "01arz3ndektsv4rrffq69g5f..",
    ])
    func textThatIsNotAnIdIsRefused(_ text: String) {
        #expect(WishID(text) == nil)
    }

    @Test func idsRoundTripCaseInsensitively() throws {
        let id = WishID.generate(at: Date())
        #expect(WishID(id.rawValue.uppercased()) == id)
        #expect(try JSONDecoder().decode(WishID.self, from: JSONEncoder().encode(id)) == id)
        #expect(id.rawValue.allSatisfy { $0.isLetter || $0.isNumber })
    }
}

struct S3LayoutTests {
    @Test func keysStayInsideTheirWish() {
        let layout = S3Layout(prefix: "prod")
        let id = WishID.generate(at: Date())
        #expect(layout.spec(id) == "prod/wishes/\(id)/spec.json")
        #expect(layout.status(WishSubject(id: id, arrayIndex: 7)) == "prod/wishes/\(id)/children/00007/status.json")
        #expect(layout.output(WishSubject(id: id), attempt: 2) == "prod/wishes/\(id)/attempts/2/output")
        #expect(layout.claim(WishSubject(id: id, arrayIndex: 0), attempt: 1) == "prod/wishes/\(id)/children/00000/attempts/1/claim")
    }

    @Test func theIndexListsNewestFirst() {
        let layout = S3Layout()
        let base = Date(timeIntervalSince1970: 1_790_000_000)
        let ids = (0..<50).map { WishID.generate(at: base.addingTimeInterval(Double($0) * 3.7)) }
        let keys = ids.map(layout.indexEntry)
        #expect(keys.sorted().compactMap(layout.id(fromIndexKey:)) == ids.reversed())
        #expect(layout.id(fromIndexKey: "index/123-../../x") == nil)
    }
}

struct XMLTreeTests {
    @Test func readsS3sListAnswer() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated>
            <Contents><Key>a &amp; b&lt;c&gt; &#x1F600; &#233;</Key><Size>5</Size></Contents><!-- note -->
            <Contents><Key><![CDATA[<raw>]]></Key><Size>6</Size></Contents><Empty/></ListBucketResult>
            """
        let tree = try XMLTree.parse(Array(xml.utf8))
        #expect(tree.name == "ListBucketResult")
        #expect(tree.children("Contents").map { $0.child("Key")?.text } == ["a & b<c> 😀 é", "<raw>"])
        #expect(tree.child("Empty")?.text == "")
    }

    @Test(arguments: ["", "<a>", "<a></b>", "<a>&bogus;</a>", "<a/><b/>", "text", "<a><!-- open</a>", "<a><![CDATA[x</a>", "<a>x</a"])
    func malformedXMLIsAnError(_ xml: String) {
        #expect(throws: XMLTree.ParseError.self) { try XMLTree.parse(Array(xml.utf8)) }
    }
}
