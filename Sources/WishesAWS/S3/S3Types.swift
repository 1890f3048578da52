#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// S3's shapes, as the REST/XML protocol carries them.
public enum S3 {
    /// What a conditional write requires of the object that is there now.
    public enum Precondition: Sendable, Equatable {
        /// Write only if no object has the key (`If-None-Match: *`): the claim of a lock or an attempt.
        case noneExists
        /// Write only if the object is still this version (`If-Match: <etag>`): compare-and-swap.
        case matches(etag: String)
    }

    public struct Object: Sendable, Equatable {
        public var body: [UInt8]
        public var etag: String?
        public var contentType: String?
        public var contentLength: Int
        /// `bytes start-end/total` when a range was asked for.
        public var contentRange: String?
        public var metadata: [String: String]
        public var lastModified: Date?

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct ObjectSummary: Sendable, Equatable {
        public var key: String
        public var size: Int
        public var etag: String?
        public var lastModified: Date?
    }

    public struct ListPage: Sendable, Equatable {
        public var objects: [ObjectSummary]
        public var commonPrefixes: [String]
        public var nextContinuationToken: String?
        public var isTruncated: Bool
    }
}
