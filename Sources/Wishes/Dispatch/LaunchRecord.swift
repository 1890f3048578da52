import Foundation

/// What S3 keeps of a launch: the claim of an attempt, and its entry under `active/` until it stops.
struct LaunchRecord: Sendable, Codable, Equatable {
    var clientToken: String
    var claimedAt: Date
    var taskArn: String?
    var timeoutSeconds: Int?
}
