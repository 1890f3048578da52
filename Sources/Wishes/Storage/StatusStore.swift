#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads and writes `status.json` with compare-and-swap (S3 `If-Match` / `If-None-Match`), so
/// concurrent writers merge their reports instead of overwriting each other.
public struct StatusStore: Sendable {
    public let s3: S3Client
    public let bucket: String
    public let layout: S3Layout
    /// Lost races retried before giving up; each one means another writer made progress.
    public var maxRaces = 20

    public init(s3: S3Client, bucket: String, layout: S3Layout) {
        self.s3 = s3
        self.bucket = bucket
        self.layout = layout
    }

    static var encoder: JSONEncoder { WishJSON.encoder }
    static var decoder: JSONDecoder { WishJSON.decoder }

    public func read(_ subject: WishSubject) async throws -> WishStatus? {
        try await readVersion(subject).map(\.status)
    }

    /// What a reader saw: the stored status and its ETag, or that none was stored. Handed back to
    /// `merge`, it saves the merge its first read; a change since then fails the conditional write
    /// and the merge reads again.
    public struct Snapshot: Sendable {
        let stored: (status: WishStatus, etag: String?)?
        public var status: WishStatus? { stored?.status }
    }

    public func snapshot(_ subject: WishSubject) async throws -> Snapshot {
        Snapshot(stored: try await readVersion(subject))
    }

    func readVersion(_ subject: WishSubject) async throws -> (status: WishStatus, etag: String?)? {
        guard let object = try await s3.getObjectIfExists(bucket: bucket, key: layout.status(subject)) else { return nil }
        return (try Self.decoder.decode(WishStatus.self, from: Data(object.body)), object.etag)
    }

    /// Merges `report` into the stored status and returns what is stored now.
    ///
    /// - Parameter seen: the status as the caller last read it, to start from instead of reading.
    @discardableResult
    public func merge(_ report: WishStatus, seen: Snapshot? = nil) async throws -> WishStatus {
        let subject = WishSubject(id: report.id, arrayIndex: report.arrayIndex)
        for race in 0..<maxRaces {
            let current = if race == 0, let seen { seen.stored } else { try await readVersion(subject) }
            let merged = current.map { $0.status.merged(with: report) } ?? report
            if let current, merged == current.status { return merged }
            do {
                try await s3.putObject(
                    bucket: bucket, key: layout.status(subject), body: Array(try Self.encoder.encode(merged)),
                    contentType: "application/json",
                    precondition: current.map { .matches(etag: $0.etag ?? "*") } ?? .noneExists
                )
                return merged
            } catch let error as AWSClientError where error.isCode("PreconditionFailed") || error.isCode("ConditionalRequestConflict") {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...(5 << min(race, 6)))))
            }
        }
        throw StatusStoreError.tooManyRaces(subject: subject, races: maxRaces)
    }
}

public enum StatusStoreError: Error, CustomStringConvertible {
    case tooManyRaces(subject: WishSubject, races: Int)

    public var description: String {
        switch self {
        case .tooManyRaces(let subject, let races):
            "status of \(subject) changed under us \(races) times in a row; try again"
        }
    }
}
