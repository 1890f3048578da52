import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The claim of an attempt, as S3 keeps it: written once, before `RunTask`, with the client token
/// every later delivery of the attempt reuses.
struct LaunchRecord: Sendable, Codable, Equatable {
    var clientToken: String
    var claimedAt: Date
}
