import Foundation
import Wishes

/// A wish as the JSON API shows it: AWS Batch's describe, with values of the environment left out.
struct WishView: Encodable {
    var id: WishID
    var state: WishState
    var statusReason: String?
    var createdAt: Date?
    var updatedAt: Date?
    var spec: WishSpec
    var attempts: [AttemptStatus]
    var results: [String: AttemptResult]?
    var children: [String: Int]?
    var callback: CallbackStatus?

    init(spec: WishSpec, status: WishStatus, results: [Int: AttemptResult] = [:], children: [WishState: Int] = [:]) {
        id = status.id
        state = status.state
        statusReason = status.statusReason
        createdAt = status.createdAt
        updatedAt = status.updatedAt
        self.spec = spec.redacted
        attempts = status.attempts
        callback = status.callback
        self.results = results.isEmpty ? nil : Dictionary(uniqueKeysWithValues: results.map { (String($0.key), $0.value) })
        self.children = children.isEmpty ? nil : Dictionary(uniqueKeysWithValues: children.map { ($0.key.rawValue, $0.value) })
    }
}
