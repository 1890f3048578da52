import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// The status merge is a join: however reports arrive, the result is the same and never goes back.
struct WishStatusTests {
    static let id = WishID.generate(at: Date(timeIntervalSince1970: 1_790_000_000))
    static func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_790_000_000 + seconds) }

    /// The reports of one wish that failed once (Spot), was retried and succeeded, from all three writers.
    static let reports: [WishStatus] = [
        WishStatus(id: id, createdAt: at(0), updatedAt: at(0)),
        WishStatus(id: id, updatedAt: at(1), pending: .init(state: .pending, reason: "waiting for 01abc", at: at(1))),
        WishStatus(id: id, updatedAt: at(2), attempts: [AttemptStatus(number: 1, state: .runnable, taskArn: "arn:1")]),
        WishStatus(id: id, updatedAt: at(3), attempts: [AttemptStatus(number: 1, state: .running, startedAt: at(3))]),
        WishStatus(
            id: id, updatedAt: at(4),
            attempts: [AttemptStatus(number: 1, state: .failed, stoppedAt: at(4), stopCode: "SpotInterruption", reason: "interrupted")]),
        WishStatus(id: id, updatedAt: at(5), attempts: [AttemptStatus(number: 2, state: .runnable, taskArn: "arn:2")]),
        WishStatus(id: id, updatedAt: at(6), attempts: [AttemptStatus(number: 2, state: .running, startedAt: at(6))]),
        WishStatus(id: id, updatedAt: at(7), attempts: [AttemptStatus(number: 2, state: .succeeded, stoppedAt: at(7), exitCode: 0)]),
    ]

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index in
            var rest = items
            let head = rest.remove(at: index)
            return permutations(rest).map { [head] + $0 }
        }
    }

    @Test func everyOrderingOfEveryReportGivesTheSameStatus() {
        let expected = Self.reports.dropFirst().reduce(Self.reports[0]) { $0.merged(with: $1) }
        #expect(expected.state == .succeeded)
        #expect(expected.attempts.map(\.number) == [1, 2])
        #expect(expected.attempts[0].stopCode == "SpotInterruption")
        var orderings = 0
        var backwards = 0
        for ordering in Self.permutations(Self.reports) {  // 8! = 40,320 orderings
            var status = ordering[0]
            var progress = status.progress
            for report in ordering.dropFirst() {
                status.merge(report)
                // #expect is costly at this count: tally here, assert once below.
                if status.progress.lexicographicallyPrecedes(progress) { backwards += 1 }
                progress = status.progress
            }
            if status != expected {
                Issue.record("ordering \(orderings) ended in \(status.state)")
                break
            }
            orderings += 1
        }
        #expect(orderings == 40_320)
        #expect(backwards == 0, "progress went back in \(backwards) merges")
    }

    @Test func repeatedAndLateReportsChangeNothing() {
        let all = Self.reports.dropFirst().reduce(Self.reports[0]) { $0.merged(with: $1) }
        for report in Self.reports {
            #expect(all.merged(with: report) == all)
            #expect(all.merged(with: report).merged(with: report) == all)
        }
    }

    @Test func mergeIsAssociative() {
        let r = Self.reports
        for a in r {
            for b in r {
                for c in r {
                    #expect(a.merged(with: b).merged(with: c) == a.merged(with: b.merged(with: c)))
                }
            }
        }
    }

    @Test func statesReadAsAWSBatchNamesThem() {
        var status = WishStatus(id: Self.id)
        #expect(status.state == .submitted)
        status.merge(WishStatus(id: Self.id, pending: .init(state: .pending, reason: "not before 10:00", at: Self.at(1))))
        #expect(status.state == .pending && status.statusReason == "not before 10:00")
        status.merge(WishStatus(id: Self.id, attempts: [AttemptStatus(number: 1, state: .failed, reason: "exit code 2")]))
        #expect(status.state == .runnable && status.statusReason == "retrying after: exit code 2")
        status.merge(WishStatus(id: Self.id, final: .init(state: .failed, reason: "no attempts left: exit code 2", at: Self.at(9))))
        #expect(status.state == .failed && status.isFinal)
        // A late success report of an old attempt cannot undo the decision.
        status.merge(WishStatus(id: Self.id, attempts: [AttemptStatus(number: 1, state: .running)]))
        #expect(status.state == .failed)
    }

    @Test func theFirstFinalDecisionHolds() {
        let early = WishStatus(id: Self.id, final: .init(state: .failed, reason: "cancelled", at: Self.at(1)))
        let late = WishStatus(id: Self.id, final: .init(state: .succeeded, reason: "done", at: Self.at(2)))
        #expect(early.merged(with: late).final?.reason == "cancelled")
        #expect(late.merged(with: early).final?.reason == "cancelled")
    }
}
