import Logging
import NIOConcurrencyHelpers
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Dispatcher {
    /// One try of an ended wish's callback.
    ///
    /// Each try is claimed in S3 before it is sent, so a message delivered twice sends once; a try
    /// that fails schedules the next through the queue, so delivery outlives any one invocation and
    /// costs no receives. The outcome is merged into the wish's status, where the API shows it;
    /// DELIVERED is written only after a 2xx.
    func deliverCallback(_ id: WishID, _ delivery: WishMessage.CallbackTry, logger: Logger)
        async throws
    {
        guard let status = try await statuses.read(WishSubject(id: id)), status.isFinal else {
            logger.warning("callback for a wish that has not ended; dropped")
            return
        }
        if let callback = status.callback,
            callback.state != .pending || callback.tries >= delivery.number
        {
            return
        }
        guard let spec = try await storedSpec(id), let url = spec.callbackUrl else { return }
        let now = clock.now
        if let due = delivery.dueAt, due > now {
            let message = WishMessage(id: id, callback: delivery)
            return try await enqueue(
                message, queue: spec.queue, delaySeconds: Int(due.timeIntervalSince(now).rounded(.up)))
        }
        let claimed = try await store.objects.putIfAbsent(
            layout.callbackClaim(id, try: delivery.number), Array(RFC3339.format(now).utf8), contentType: "text/plain")
        let outcome: Result<Int, CallbackDeliveryError>
        if claimed {
            outcome = await sendCallback(url, status: status, logger: logger)
        } else {
            // Another delivery holds this try (or crashed holding it): the next try decides.
            outcome = .failure(
                .unreachable("try \(delivery.number) was claimed by another delivery that did not report"))
        }
        try await record(outcome, of: delivery, for: id, queue: spec.queue, logger: logger)
    }

    func record(
        _ outcome: Result<Int, CallbackDeliveryError>, of delivery: WishMessage.CallbackTry,
        for id: WishID, queue: WishQueue,
        logger: Logger
    ) async throws {
        let now = clock.now
        let waits = options.callbackRetrySeconds
        let report: CallbackStatus
        switch outcome {
        case .success(let code):
            report = CallbackStatus(state: .delivered, tries: delivery.number, httpStatus: code, at: now)
            logger.info(
                "callback delivered", metadata: ["try": "\(delivery.number)", "status": "\(code)"])
        case .failure(let error) where error.isFinal || delivery.number > waits.count:
            let reason =
                error.isFinal ? "refused: \(error)" : "gave up after \(delivery.number) tries: \(error)"
            report = CallbackStatus(
                state: .abandoned, tries: delivery.number, httpStatus: error.httpStatus, reason: reason,
                at: now)
            logger.warning(
                "callback abandoned", metadata: ["try": "\(delivery.number)", "reason": "\(reason)"])
        case .failure(let error):
            report = CallbackStatus(
                state: .pending, tries: delivery.number, httpStatus: error.httpStatus, reason: "\(error)",
                at: now)
            let wait = waits[delivery.number - 1]
            let next = WishMessage.CallbackTry(
                number: delivery.number + 1, dueAt: now.addingTimeInterval(TimeInterval(wait)))
            // The next try is queued before the failure is recorded: a crash in between retries
            // sooner, never never.
            try await enqueue(WishMessage(id: id, callback: next), queue: queue, delaySeconds: wait)
            logger.warning(
                "callback failed; will try again",
                metadata: ["try": "\(delivery.number)", "error": "\(error)", "waitSeconds": "\(wait)"])
        }
        try await statuses.merge(WishStatus(id: id, updatedAt: now, callback: report))
    }

    /// Signs and POSTs the status JSON.
    func sendCallback(_ url: String, status: WishStatus, logger: Logger) async -> Result<
        Int, CallbackDeliveryError
    > {
        let signature: CallbackSignature
        do {
            signature = try await callbackSignature()
        } catch {
            return .failure(.unreachable("cannot read the signing secret: \(error)"))
        }
        var view = try? WishJSON.decode([String: JSONValue].self, from: WishJSON.encode(status))
        view?["state"] = .string(status.state.rawValue)
        view?["statusReason"] = status.statusReason.map { .string($0) }
        view?["callback"] = nil
        // As JSONSerialization wrote it: sorted keys (the status's are all plain camel case, so byte order
        // is its order), "/" escaped.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = Array((try? encoder.encode(view ?? [:])) ?? Data())
        var sender = CallbackSender(
            policy: settings.limits.callbacks, resolver: resolver,
            httpClient: aws.httpClient)
        sender.requestTimeout = .seconds(options.callbackTimeoutSeconds)
        do {
            return .success(
                try await sender.send(
                    url, body: body,
                    headers: signature.headers(id: status.id.rawValue, timestamp: clock.now, body: body)))
        } catch {
            return .failure(error)
        }
    }

    /// The stack's signing key, read from Secrets Manager and kept for five minutes (a rotated
    /// secret is picked up within that).
    func callbackSignature() async throws -> CallbackSignature {
        guard let secretID = settings.callbackSecretID else {
            throw SettingsError.missing(["WISHES_CALLBACK_SECRET_ARN"])
        }
        let now = clock.now
        if let cached = callbackKey.value(at: now) { return cached }
        let signature = CallbackSignature(
            secret: try await aws.secretsManager.getSecretString(secretID))
        callbackKey.store(signature, until: now.addingTimeInterval(300))
        return signature
    }
}

/// The signing key shared by the invocations of one sandbox.
final class CallbackKeyCache: Sendable {
    private let box = NIOLockedValueBox<(CallbackSignature, Date)?>(nil)

    func value(at now: Date) -> CallbackSignature? {
        box.withLockedValue { entry in entry.flatMap { $0.1 > now ? $0.0 : nil } }
    }

    func store(_ signature: CallbackSignature, until: Date) {
        box.withLockedValue { $0 = (signature, until) }
    }
}

extension CallbackDeliveryError {
    var httpStatus: Int? {
        if case .answered(let status, _) = self { return status }
        return nil
    }
}
