import Logging

extension Dispatcher {
    /// How many wishes a cycle search reads at most: a longer chain of waits is left to the
    /// dependency's own end (it fails, or it ends by its timeout), never searched without bound.
    static let maxCycleSearch = 64

    /// The cycle through `waiter` that waiting for `dependency` would close, first wish first, or nil.
    ///
    /// The API cannot make one: it accepts only ids that already exist. A program sending straight to
    /// the queue can (A names B and B names A), and then neither would ever start, so each wish of the
    /// cycle finds it on its own and ends FAILED naming it. Stored specs never change, so the reads
    /// are cached after the first look.
    func dependencyCycle(from dependency: WishID, to waiter: WishID) async throws -> [WishID]? {
        var cameFrom: [WishID: WishID] = [:]
        var frontier = [dependency]
        var seen: Set<WishID> = [dependency]
        while !frontier.isEmpty, seen.count <= Self.maxCycleSearch {
            let id = frontier.removeFirst()
            guard let spec = try await storedSpec(id) else { continue }
            for next in spec.dependsOn?.compactMap(\.id) ?? [] {
                if next == waiter {
                    var path = [id]
                    while let before = cameFrom[path[0]] { path.insert(before, at: 0) }
                    return [waiter] + path + [waiter]
                }
                if seen.insert(next).inserted {
                    cameFrom[next] = id
                    frontier.append(next)
                }
            }
        }
        return nil
    }

    /// Ends the waiter FAILED when waiting for `dependency` can never end; false when it may wait.
    func failIfCycle(_ message: WishMessage, waitingFor dependency: WishID, logger: Logger) async throws -> Bool {
        guard let cycle = try await dependencyCycle(from: dependency, to: message.id) else { return false }
        let path = cycle.map(\.description).joined(separator: " → ")
        try await finish(message.subject, .failed, reason: "dependency cycle \(path): none of these wishes can start", logger: logger)
        return true
    }
}
