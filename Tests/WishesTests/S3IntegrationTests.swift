import Foundation
import Testing

@testable import Wishes
@testable import WishesAWS

/// Every S3 call we make, against a real moto server.
@Suite(.serialized) struct S3IntegrationTests {
    static let awkwardKeys = ["plain.txt", "with space/and+plus.txt", "ünïcödé/日本/😀.json", "a//double/./dots/../x", "percent%20literal", "tilde~star*"]

    @Test(arguments: awkwardKeys)
    func putsAndGetsObjectsWithAwkwardKeys(_ key: String) async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            let body = Array("content of \(key)".utf8)
            let etag = try await aws.s3.putObject(bucket: bucket, key: key, body: body, contentType: "text/plain", metadata: ["wish-id": "abc"])
            #expect(etag != nil)
            let object = try await aws.s3.getObject(bucket: bucket, key: key)
            #expect(object.body == body)
            #expect(object.contentType == "text/plain")
            #expect(object.metadata["wish-id"] == "abc")
            #expect(object.etag == etag)
            let listed = try await aws.s3.listAllObjects(bucket: bucket)
            #expect(listed.map(\.key) == [key])
        }
    }

    @Test func conditionalWritesLetExactlyOneWriterWin() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            // Eight writers race to claim the same key; If-None-Match lets exactly one through.
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        do {
                            try await aws.s3.putObject(bucket: bucket, key: "claim", body: Array("writer \(writer)".utf8), precondition: .noneExists)
                            return true
                        } catch let error as AWSClientError where error.isCode(.preconditionFailed, .conditionalRequestConflict) {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            let current = try await aws.s3.headObject(bucket: bucket, key: "claim")
            let etag = try #require(current.etag)
            let newTag = try await aws.s3.putObject(bucket: bucket, key: "claim", body: Array("second".utf8), precondition: .matches(etag: etag))
            await #expect { try await aws.s3.putObject(bucket: bucket, key: "claim", body: [1], precondition: .matches(etag: etag)) } throws: {
                let error = ($0 as? AWSClientError)?.serviceError
                return error?.code == "PreconditionFailed" && error?.statusCode == 412
            }
            #expect(try await aws.s3.getObject(bucket: bucket, key: "claim").etag == newTag)
        }
    }

    /// S3 may carry out a write and lose its answer (a 5xx, a timeout): the retry of a conditional
    /// write then meets its own object. Against moto failing 30 % of all requests, half of those
    /// after doing them, every key still has exactly one winner, and the winner knows it.
    @Test func aConditionalWriteWhoseAnswerWasLostIsStillTheWinners() async throws {
        try await MotoServer.withPrivateServer(arguments: ["--fault-rate", "0.3"]) { moto in
            // A retry policy (and so a retry quota) per round: the quota is meant for one process's
            // bad minute, and this test makes a bad minute on purpose 40 times over.
            func clients() -> TestAWS { TestAWS.at(moto, retry: RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(5), maxBackoff: .milliseconds(50))) }
            try await clients().withBucket { bucket in
                for round in 0..<40 {
                    let aws = clients()
                    let key = "claim-\(round)"
                    let winners = try await withThrowingTaskGroup(of: Int?.self) { group in
                        for writer in 0..<3 {
                            group.addTask {
                                try await aws.s3.putObjectIfAbsent(bucket: bucket, key: key, body: Array("writer \(writer)".utf8)) ? writer : nil
                            }
                        }
                        return try await group.reduce(into: []) { if let writer = $1 { $0.append(writer) } }
                    }
                    #expect(winners.count == 1, "\(key): winners \(winners)")
                    if let winner = winners.first {
                        #expect(try await aws.s3.getObject(bucket: bucket, key: key).text == "writer \(winner)")
                    }
                }
            }
        }
    }

    /// `--latency` holds each S3 call as AWS's round trip would, and holds calls side by side, not in
    /// turn: the billed-duration figure depends on both.
    @Test func theLauncherHoldsEachS3CallForItsLatencyAndCallsOverlap() async throws {
        try await MotoServer.withPrivateServer(arguments: ["--latency", "s3=400,sqs=0"]) { moto in
            let aws = TestAWS.at(moto)
            try await aws.withBucket { bucket in
                try await aws.s3.putObject(bucket: bucket, key: "k", body: Array("v".utf8))
                let clock = ContinuousClock()
                let one = try await clock.measure { _ = try await aws.s3.getObject(bucket: bucket, key: "k") }
                #expect(one >= .milliseconds(400), "one GET took \(one)")
                let eight = try await clock.measure {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<8 { group.addTask { _ = try await aws.s3.getObject(bucket: bucket, key: "k") } }
                        try await group.waitForAll()
                    }
                }
                #expect(eight >= .milliseconds(400) && eight < .milliseconds(8 * 400 / 2), "eight parallel GETs took \(eight)")
            }
        }
    }

    @Test func readsByteRanges() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.s3.putObject(bucket: bucket, key: "output", body: Array("0123456789".utf8))
            let part = try await aws.s3.getObject(bucket: bucket, key: "output", range: 3...6)
            #expect(part.text == "3456")
            #expect(part.contentRange == "bytes 3-6/10")
        }
    }

    @Test func listsEveryPageInKeyOrder() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            let keys = (0..<7).map { "index/\($0) item+\($0)" } + ["other/x"]
            for key in keys { try await aws.s3.putObject(bucket: bucket, key: key, body: [UInt8(key.count)]) }
            let page = try await aws.s3.listObjectsV2(bucket: bucket, prefix: "index/", maxKeys: 3)
            #expect(page.objects.map(\.key) == Array(keys.prefix(3)))
            #expect(page.isTruncated && page.nextContinuationToken != nil)
            let all = try await aws.s3.listAllObjects(bucket: bucket, prefix: "index/")
            #expect(all.map(\.key) == Array(keys.prefix(7)))
            let folders = try await aws.s3.listObjectsV2(bucket: bucket, delimiter: "/")
            #expect(folders.commonPrefixes == ["index/", "other/"])
            let after = try await aws.s3.listObjectsV2(bucket: bucket, startAfter: "index/5 item+5")
            #expect(after.objects.map(\.key) == ["index/6 item+6", "other/x"])
        }
    }

    @Test func deletesAndReportsMissingObjects() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            try await aws.s3.putObject(bucket: bucket, key: "gone", body: [1])
            try await aws.s3.deleteObject(bucket: bucket, key: "gone")
            #expect(try await aws.s3.getObjectIfExists(bucket: bucket, key: "gone") == nil)
            await #expect { _ = try await aws.s3.getObject(bucket: bucket, key: "gone") } throws: {
                ($0 as? AWSClientError)?.serviceError.map { $0.code == "NoSuchKey" && $0.statusCode == 404 } ?? false
            }
            await #expect { _ = try await aws.s3.headObject(bucket: bucket, key: "gone") } throws: {
                ($0 as? AWSClientError)?.isCode(.notFound) == true
            }
        }
    }

    @Test func namesAMissingBucket() async throws {
        let aws = try await TestAWS.moto()
        await #expect { _ = try await aws.s3.getObject(bucket: "no-such-bucket-here", key: "k") } throws: {
            ($0 as? AWSClientError)?.isCode(.noSuchBucket) == true
        }
    }

    @Test func statusStoreMergesConcurrentReportsWithoutLosingAny() async throws {
        let aws = try await TestAWS.moto()
        try await aws.withBucket { bucket in
            let store = StatusStore(objects: S3ObjectStorage(s3: aws.s3, bucket: bucket), layout: S3Layout())
            let id = WishID.generate(at: Date())
            let now = Date()
            // Web, dispatcher and task report at once; every report must survive.
            let reports = [
                WishStatus(id: id, createdAt: now),
                WishStatus(id: id, pending: .init(state: .pending, reason: "waiting", at: now)),
                WishStatus(id: id, attempts: [AttemptStatus(number: 1, state: .runnable, taskArn: "arn:task/1")]),
                WishStatus(id: id, attempts: [AttemptStatus(number: 1, state: .running, startedAt: now)]),
                WishStatus(id: id, attempts: [AttemptStatus(number: 1, state: .succeeded, stoppedAt: now, exitCode: 0)]),
                WishStatus(id: id, updatedAt: now),
            ]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for report in reports { group.addTask { try await store.merge(report) } }
                try await group.waitForAll()
            }
            let stored = try #require(try await store.read(WishSubject(id: id)))
            #expect(stored.state == .succeeded)
            #expect(stored.attempts.first?.taskArn == "arn:task/1")
            #expect(stored.attempts.first?.exitCode == 0)
            #expect(stored.createdAt != nil && stored.pending != nil)
        }
    }
}
