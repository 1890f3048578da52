import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `ObjectStorage` in one S3 bucket. AWS's errors pass through as they are (callers tell an outage
/// from a refusal by them), except a lost conditional race, which every backend reports alike.
package struct S3ObjectStorage: ObjectStorage {
    package let s3: S3Client
    package let bucket: String
    /// SSE-KMS key for sensitive objects (the wishes' environments); nil for the bucket's default.
    package let sensitiveKeyID: String?

    package init(s3: S3Client, bucket: String, sensitiveKeyID: String? = nil) {
        self.s3 = s3
        self.bucket = bucket
        self.sensitiveKeyID = sensitiveKeyID
    }

    package func get(_ key: String) async throws -> StoredObject? {
        try await s3.getObjectIfExists(bucket: bucket, key: key).map(Self.stored)
    }

    package func tail(_ key: String, bytes: Int) async throws -> StoredObject? {
        let answer: Result<S3.Object, AWSClientError>
        do {
            answer = .success(try await s3.getObject(bucket: bucket, key: key, suffixLength: bytes))
        } catch {
            answer = .failure(error)
        }
        switch answer {
        case .success(let object): return Self.stored(object)
        case .failure(let error) where error.isCode(.noSuchKey, .notFound): return nil
        // An empty object has no last bytes to range over.
        case .failure(let error) where error.isCode(.invalidRange): return StoredObject(body: [], size: 0)
        case .failure(let error): throw error
        }
    }

    @discardableResult
    package func put(_ key: String, _ body: [UInt8], contentType: String, condition: WriteCondition?, sensitive: Bool) async throws -> String? {
        let precondition: S3.Precondition? =
            switch condition {
            case .absent: .noneExists
            case .matches(let etag): .matches(etag: etag)
            case nil: nil
            }
        do {
            return try await s3.putObject(
                bucket: bucket, key: key, body: body, contentType: contentType, precondition: precondition,
                kmsKeyID: sensitive ? sensitiveKeyID : nil)
        } catch {
            if condition != nil, S3Client.isLostRace(error) { throw ObjectStorageError.conditionFailed(key: key) }
            throw error
        }
    }

    package func delete(_ key: String) async throws {
        try await s3.deleteObject(bucket: bucket, key: key)
    }

    package func list(prefix: String, startAfter: String?, continuation: String?, maxKeys: Int?) async throws -> KeyPage {
        let page = try await s3.listObjectsV2(
            bucket: bucket, prefix: prefix, maxKeys: maxKeys, continuationToken: continuation,
            startAfter: continuation == nil ? startAfter : nil)
        return KeyPage(
            keys: page.objects.map { StoredKey(key: $0.key, size: $0.size, lastModified: $0.lastModified) },
            continuation: page.isTruncated ? page.nextContinuationToken : nil)
    }

    static func stored(_ object: S3.Object) -> StoredObject {
        // `bytes 100-199/200`: the whole object's size follows the slash.
        let size = object.contentRange.flatMap { $0.split(separator: "/").last.flatMap { Int($0) } } ?? object.body.count
        return StoredObject(body: object.body, etag: object.etag, lastModified: object.lastModified, size: size)
    }
}
