import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The body of a message on the `wishes` queues: which wish, which child, which attempt.
///
/// The web writes the spec to S3 first and sends only the id; a program may instead put the
/// whole spec in `spec` (then the dispatcher validates and stores it). Retries and array
/// children carry no spec: the stored one is read.
///
/// Two messages do no launch: `callback` is one try of an ended wish's callback, and `ended` tells
/// the dispatcher that the web ended a wish (a cancel) so what follows an end happens.
package struct WishMessage: Sendable, Codable, Equatable {
    package var id: WishID
    package var arrayIndex: Int?
    /// 1-based; absent means the first.
    package var attempt: Int?
    /// For an array wish not yet fanned out: the children still to enqueue, from this index on.
    package var fanOutFrom: Int?
    package var spec: JSONValue?
    package var callback: CallbackTry?
    package var ended: Bool?
    /// Launches of this attempt refused so far for capacity or throttling; each waits longer.
    package var launchTries: Int?
    /// After repeated Spot capacity failures: run on on-demand Fargate instead.
    package var onDemand: Bool?
    /// Times this launch was held by its queue's cap or by asap-first; each hold waits longer.
    package var holds: Int?
    /// When this launch was first held; asap-first stops holding it after a while.
    package var heldSince: Date?
    /// Looks so far of an array child at a dependency that had not ended; each waits longer,
    /// since the dependency's end wakes the child anyway.
    package var dependencyChecks: Int?

    /// Which try of the callback this is, and when it is due (SQS delays 15 minutes at most, so a
    /// later try hops until then).
    package struct CallbackTry: Sendable, Codable, Equatable {
        package var number: Int
        package var dueAt: Date?

        package init(number: Int, dueAt: Date? = nil) {
            self.number = number
            self.dueAt = dueAt
        }
    }

    package init(
        id: WishID, arrayIndex: Int? = nil, attempt: Int? = nil, fanOutFrom: Int? = nil, spec: JSONValue? = nil,
        callback: CallbackTry? = nil, ended: Bool? = nil
    ) {
        self.id = id
        self.arrayIndex = arrayIndex
        self.attempt = attempt
        self.fanOutFrom = fanOutFrom
        self.spec = spec
        self.callback = callback
        self.ended = ended
    }

    package var subject: WishSubject { WishSubject(id: id, arrayIndex: arrayIndex) }

    package var body: String { String(decoding: (try? WishJSON.encode(self)) ?? [], as: UTF8.self) }
}
