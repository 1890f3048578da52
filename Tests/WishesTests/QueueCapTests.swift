import Foundation
import Testing
import Wishes

@testable import WishesAWS

/// A queue's cap (`WISHES_QUEUE_MAX_VCPUS`) through the whole local cloud, as a Batch compute
/// environment's `maxvCpus`: wishes over it wait and say why, none fails for it, and no more run
/// at once than fit.
struct QueueCapTests {
    @Test func wishesOverAQueuesCapWaitThenAllSucceedNeverMoreAtOnceThanFit() async throws {
        try await LocalCloudProcess.withPrivateCloud(environment: ["WISHES_QUEUE_MAX_VCPUS": "default=0.5"]) { state in
            let tooBig = try await state.call(
                "POST", "/api/wishes", body: #"{"command":["true"],"vcpus":1,"memory":2048}"#, headers: ["Content-Type": "application/json"])
            #expect(tooBig.status == 400)
            #expect(tooBig.body.contains("vcpus") && tooBig.body.contains("cap of 0.5 vCPU"), "\(tooBig.body)")

            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await state.submit(#"{"command":["sh","-c","sleep 2"],"vcpus":0.25}"#)) }
            var heldReason: String?
            var finals: [String: [String: Any]] = [:]
            let deadline = ContinuousClock.now + .seconds(120)
            while finals.count < ids.count, ContinuousClock.now < deadline {
                for id in ids where finals[id] == nil {
                    let answer = try await state.call("GET", "/api/wishes/\(id)")
                    let wish = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] ?? [:]
                    if let reason = wish["statusReason"] as? String, reason.contains("at its cap") { heldReason = reason }
                    if ["SUCCEEDED", "FAILED"].contains(wish["state"] as? String ?? "") { finals[id] = wish }
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(finals.count == ids.count, "every wish ended")
            #expect(finals.values.allSatisfy { $0["state"] as? String == "SUCCEEDED" }, "\(finals.values.map { $0["statusReason"] ?? "" })")
            #expect(heldReason?.hasPrefix("queue default is at its cap") == true, "a held wish says why: \(heldReason ?? "never seen")")
            // Running intervals of the one attempt each: at no moment more than two (0.5 / 0.25).
            let intervals = finals.values.compactMap { wish -> (Date, Date)? in
                guard let attempt = (wish["attempts"] as? [[String: Any]])?.first,
                    let started = (attempt["startedAt"] as? String).flatMap(RFC3339.parse),
                    let stopped = (attempt["stoppedAt"] as? String).flatMap(RFC3339.parse)
                else { return nil }
                return (started, stopped)
            }
            #expect(intervals.count == ids.count)
            let most = intervals.map { interval in intervals.filter { $0.0 <= interval.0 && interval.0 < $0.1 }.count }.max() ?? 0
            #expect(most <= 2, "at most two at once, saw \(most)")
        }
    }
}
