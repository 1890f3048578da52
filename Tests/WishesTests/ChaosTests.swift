import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// About a hundred wishes of every kind (and their children and retries, some three hundred tasks) through a local cloud having a bad day: task events lost,
/// duplicated and reordered; S3, SQS and ECS failing a share of calls (some after doing the work);
/// runtimes killed mid-batch; Spot tasks interrupted. Every accepted wish must end, no attempt may
/// start twice, and each wish's attempts must follow its rules.
struct ChaosTests {
    struct Submitted: Sendable {
        enum Kind: String, Sendable { case plain, array, dependency, retried, cancelled, timedOut }
        var id: String
        var kind: Kind
        var attempts: Int
    }

    static let faults = [
        "--aws-fault-rate", "0.03", "--drop-task-events", "0.2", "--duplicate-events", "0.2",
        "--reorder-events", "0.3",
        "--kill-runtime-rate", "0.01", "--spot-interruption-rate", "0.05", "--function-timeout", "10",
        "--instances", "3",
        "--max-running", "40",
    ]

    @Test func underInjectedFaultsEveryWishEndsOnceAndByItsRules() async throws {
        let started = ContinuousClock.now
        try await LocalCloudProcess.withPrivateCloud(
            environment: ["WISHES_RECOVER_AFTER_SECONDS": "5", "WISHES_CAPACITY_BACKOFF_SECONDS": "1"],
            arguments: Self.faults
        ) { state in
            var wishes: [Submitted] = []
            func submit(_ kind: Submitted.Kind, _ body: String, attempts: Int = 1) async throws -> String {
                let key = UUID().uuidString
                // A submit that meets a fault answers 5xx and is tried again with its Idempotency-Key.
                for _ in 0..<20 {
                    if let answer = try? await state.call(
                        "POST", "/api/wishes", body: body,
                        headers: ["Content-Type": "application/json", "Idempotency-Key": key]),
                        answer.status == 202 || answer.status == 200,
                        let id =
                            (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])?[
                                "id"] as? String
                    {
                        wishes.append(Submitted(id: id, kind: kind, attempts: attempts))
                        return id
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                throw TestError("\(kind) wish not accepted after 20 tries")
            }
            for index in 0..<60 {
                _ = try await submit(.plain, #"{"wish":"plain \#(index)","attempts":3}"#, attempts: 3)
            }
            for _ in 0..<6 {
                _ = try await submit(
                    .array,
                    #"{"command":["sh","-c","echo $AWS_BATCH_JOB_ARRAY_INDEX"],"arraySize":5,"attempts":3}"#,
                    attempts: 3)
            }
            for index in 0..<8 {
                let first = try await submit(
                    .plain, #"{"wish":"first \#(index)","attempts":3}"#, attempts: 3)
                _ = try await submit(
                    .dependency, #"{"wish":"then \#(index)","dependsOn":["\#(first)"],"attempts":3}"#,
                    attempts: 3)
            }
            for _ in 0..<10 {
                _ = try await submit(
                    .retried, #"{"command":["sh","-c","exit 3"],"attempts":3}"#, attempts: 3)
            }
            let later = RFC3339.format(Date().addingTimeInterval(600))
            var cancels: [String] = []
            for _ in 0..<10 {
                cancels.append(try await submit(.cancelled, #"{"wish":"never","notBefore":"\#(later)"}"#))
            }
            for _ in 0..<1 {
                _ = try await submit(
                    .timedOut,
                    #"{"command":["sh","-c","trap 'exit 0' TERM; sleep 600 & wait"],"timeoutSeconds":60}"#)
            }
            for id in cancels {
                for _ in 0..<20 {
                    if let answer = try? await state.call("POST", "/api/wishes/\(id)/cancel"),
                        answer.status == 202 || answer.status == 200
                    {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            let accepted = ContinuousClock.now

            // Every wish ends within the bound.
            var final: [String: [String: Any]] = [:]
            let deadline = ContinuousClock.now + .seconds(300)
            while final.count < wishes.count, ContinuousClock.now < deadline {
                for wish in wishes where final[wish.id] == nil {
                    guard let answer = try? await state.call("GET", "/api/wishes/\(wish.id)"),
                        answer.status == 200,
                        let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))
                            as? [String: Any],
                        let state = object["state"] as? String, state == "SUCCEEDED" || state == "FAILED"
                    else { continue }
                    final[wish.id] = object
                }
                if final.count < wishes.count { try await Task.sleep(for: .seconds(2)) }
            }
            let ended = ContinuousClock.now
            let open = wishes.filter { final[$0.id] == nil }
            #expect(
                open.isEmpty, "not ended within the bound: \(open.map { "\($0.kind.rawValue) \($0.id)" })")

            // Each wish's attempts follow its rules.
            var attemptsMade = 0
            for wish in wishes {
                guard let result = final[wish.id] else { continue }
                let state = result["state"] as? String
                let reason = result["statusReason"] as? String ?? ""
                let attempts = EndToEndJobTests.attempts(result)
                attemptsMade += attempts.count
                #expect(
                    attempts.count <= wish.attempts,
                    "\(wish.kind) \(wish.id): \(attempts.count) attempts of \(wish.attempts)")
                if state == "FAILED" { #expect(!reason.isEmpty, "\(wish.id) failed without a reason") }
                switch wish.kind {
                case .plain, .dependency:
                    #expect(
                        state == "SUCCEEDED" || reason.contains("interrupted"),
                        "\(wish.kind) \(wish.id): \(state ?? "") \(reason)")
                case .array:
                    #expect(
                        state == "SUCCEEDED" || reason.contains("children failed"),
                        "array \(wish.id): \(state ?? "") \(reason)")
                    #expect(
                        (result["children"] as? [String: Int])?.values.reduce(0, +) == 5,
                        "array \(wish.id): \(result["children"] ?? "")")
                case .retried:
                    #expect(state == "FAILED")
                    #expect(attempts.count == 3, "exit 3 with 3 attempts: \(attempts.count) made")
                case .cancelled:
                    #expect(state == "FAILED" && reason == "cancelled", "\(wish.id): \(reason)")
                    #expect(attempts.isEmpty, "a wish cancelled before its time never ran")
                case .timedOut:
                    #expect(state == "FAILED" && reason.contains("timed out"), "\(wish.id): \(reason)")
                }
            }

            // No attempt started twice: one ECS task per (wish, child, attempt).
            let aws = try state.aws()
            var perAttempt: [String: Int] = [:]
            var tasks = 0
            for status in ["RUNNING", "STOPPED"] {
                var token: String?
                repeat {
                    let page = try await aws.ecs.listTasks(
                        ECS.ListTasksInput(
                            cluster: "wishes", desiredStatus: status, nextToken: token, maxResults: 100))
                    token = page.nextToken
                    if let arns = page.taskArns, !arns.isEmpty {
                        for task in try await aws.ecs.describeTasks(cluster: "wishes", tasks: arns).tasks ?? [] {
                            tasks += 1
                            if let startedBy = task.startedBy { perAttempt[startedBy, default: 0] += 1 }
                        }
                    }
                } while token != nil
            }
            let twice = perAttempt.filter { $0.value > 1 }
            #expect(twice.isEmpty, "attempts launched more than once: \(twice)")

            let stats =
                (try? JSONSerialization.jsonObject(
                    with: Data(try await HTTP.call("GET", "\(state.ecs)/_local/stats").body.utf8))
                    as? [String: Any]) ?? [:]
            var counts: [String: Int] = [:]
            for result in final.values { counts[result["state"] as? String ?? "?", default: 0] += 1 }
            print(
                """
                chaos: \(wishes.count) wishes accepted in \(accepted - started), all ended \(ended - accepted) later; \
                \(counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); \
                \(attemptsMade) attempts recorded, \(tasks) tasks started, \(perAttempt.count) distinct attempts, \(twice.count) started twice; \
                events dropped \(stats["eventsDropped"] ?? 0), duplicated \(stats["eventsDuplicated"] ?? 0), delayed \(stats["eventsDelayed"] ?? 0), \
                sent to on-failure \(stats["eventsSentToOnFailure"] ?? 0); runtime exits \(stats["runtimeExits"] ?? 0)
                """)
        }
    }
}
