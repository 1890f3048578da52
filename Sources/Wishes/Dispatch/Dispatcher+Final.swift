import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

extension Dispatcher {
    /// What follows a final status: the callback, the wishes waiting for this one, and for an array
    /// child, its parent's tally.
    func afterFinal(_ status: WishStatus, logger: Logger) async throws {
        guard status.isFinal else { return }
        let subject = WishSubject(id: status.id, arrayIndex: status.arrayIndex)
        if let index = status.arrayIndex {
            try await childFinished(status.id, index: index, state: status.state, logger: logger)
            return
        }
        // The environment's values are needed by no attempt once the wish has ended (an array's
        // children end before their parent does): they go, rather than wait for the bucket's expiry.
        try await aws.s3.deleteObject(bucket: settings.bucket, key: layout.secrets(status.id))
        try await wakeDependents(of: status.id, logger: logger)
        guard let url = try await storedSpec(status.id)?.callbackUrl else { return }
        // The callback is claimed once so that a repeated event does not call twice.
        guard try await aws.s3.putObjectIfAbsent(bucket: settings.bucket, key: layout.callback(subject), body: Array(RFC3339.format(clock.now).utf8)) else { return }
        await postCallback(url, status: status, logger: logger)
    }

    /// Sends the wishes that wait for `id` again now, instead of at their next recheck. A waiter
    /// sent twice is harmless: its launch is claimed once.
    func wakeDependents(of id: WishID, logger: Logger) async throws {
        let waiters = try await aws.s3.listAllObjects(bucket: settings.bucket, prefix: layout.dependentsPrefix(id), limit: 1000)
        for entry in waiters {
            guard let waiter = WishID(String(entry.key.dropFirst(layout.dependentsPrefix(id).count))) else { continue }
            let queue = try await aws.s3.getObjectIfExists(bucket: settings.bucket, key: entry.key)
                .flatMap { WishQueue(rawValue: String(decoding: $0.body, as: UTF8.self)) } ?? .default
            try await enqueue(WishMessage(id: waiter), queue: queue)
            logger.info("dependent woken", metadata: ["dependent": "\(waiter)"])
        }
    }

    /// POSTs the status JSON, with bounded tries; a callback that fails is logged, never retried forever.
    func postCallback(_ url: String, status: WishStatus, logger: Logger) async {
        var view = try? JSONSerialization.jsonObject(with: WishJSON.encoder.encode(status)) as? [String: Any]
        view?["state"] = status.state.rawValue
        view?["statusReason"] = status.statusReason
        let body = (try? JSONSerialization.data(withJSONObject: view ?? [:], options: [.sortedKeys])) ?? Data()
        for attempt in 1...options.callbackAttempts {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "wishes-callback/1.0")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await aws.httpClient.execute(request, timeout: .seconds(Int64(options.callbackTimeoutSeconds)))
                _ = try? await response.body.collect(upTo: 64 << 10)
                if (200..<300).contains(response.status.code) {
                    logger.info("callback delivered", metadata: ["status": "\(response.status.code)"])
                    return
                }
                logger.warning("callback refused", metadata: ["status": "\(response.status.code)", "try": "\(attempt)"])
                if (400..<500).contains(response.status.code), response.status.code != 429 { return }
            } catch {
                logger.warning("callback failed", metadata: ["error": "\(error)", "try": "\(attempt)"])
            }
            try? await Task.sleep(for: .milliseconds(200 << attempt))
        }
    }

    /// Records a child's end; once every child has ended, the parent ends: SUCCEEDED only if all did.
    func childFinished(_ id: WishID, index: Int, state: WishState, logger: Logger) async throws {
        try await aws.s3.putObject(bucket: settings.bucket, key: layout.childDone(id, index: index), body: Array(state.rawValue.utf8))
        guard let spec = try await storedSpec(id), let size = spec.arraySize else { return }
        let done = try await aws.s3.listAllObjects(bucket: settings.bucket, prefix: layout.childrenDonePrefix(id), limit: size + 1)
        guard done.count >= size else { return }
        var failed = 0
        for object in done where object.size != WishState.succeeded.rawValue.utf8.count { failed += 1 }
        let now = clock.now
        let final = failed == 0
            ? WishStatus.Mark(state: .succeeded, reason: "all \(size) children succeeded", at: now)
            : WishStatus.Mark(state: .failed, reason: "\(failed) of \(size) children failed", at: now)
        let status = try await statuses.merge(WishStatus(id: id, updatedAt: now, final: final))
        try await afterFinal(status, logger: logger)
    }
}
