import NIOCore

/// The bookkeeping of `HTTPClient`'s keep-alive connections, kept under its lock: which idle
/// connections each host has, how many are open, and who waits for one. It only decides; the
/// client acts on what it returns (closing, connecting, resuming) outside the lock.
struct HTTPConnectionPool {
    struct Key: Hashable, Sendable {
        var scheme: String
        var host: String
        var port: Int
    }

    struct Idle {
        var channel: any Channel
        var since: NIODeadline
    }

    /// What a caller that wants a connection does next.
    enum Checkout {
        case use(any Channel)
        case connect
        case wait(id: Int)
        case shutDown
    }

    struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<(any Channel)?, any Error>
    }

    let maxConnectionsPerHost: Int
    let idleTimeout: TimeAmount
    private var idle: [Key: [Idle]] = [:]
    private var open: [Key: Int] = [:]
    private var waiters: [Key: [Waiter]] = [:]
    private var nextWaiterID = 0
    private(set) var isShutDown = false

    init(maxConnectionsPerHost: Int, idleTimeout: TimeAmount) {
        self.maxConnectionsPerHost = max(1, maxConnectionsPerHost)
        self.idleTimeout = idleTimeout
    }

    /// The freshest live idle connection, else a slot to connect, else a place in the queue.
    /// `stale` collects the idle connections found dead or too old, to be closed.
    mutating func checkout(_ key: Key, now: NIODeadline, stale: inout [any Channel]) -> Checkout {
        guard !isShutDown else { return .shutDown }
        while let candidate = idle[key]?.popLast() {
            if candidate.channel.isActive, now - candidate.since < idleTimeout { return .use(candidate.channel) }
            stale.append(candidate.channel)
            open[key, default: 1] -= 1
        }
        if open[key, default: 0] < maxConnectionsPerHost {
            open[key, default: 0] += 1
            return .connect
        }
        nextWaiterID += 1
        return .wait(id: nextWaiterID)
    }

    /// Queues a caller that `checkout` told to wait, unless a connection came back or a slot
    /// freed in between (false: check out again), since no one would wake it for those.
    mutating func enqueue(_ key: Key, _ waiter: Waiter) -> Bool {
        guard idle[key, default: []].isEmpty, open[key, default: 0] >= maxConnectionsPerHost else { return false }
        waiters[key, default: []].append(waiter)
        return true
    }

    /// Takes a waiter out of the queue (its deadline passed or its task was cancelled); nil when
    /// someone else already resumed it.
    mutating func removeWaiter(_ key: Key, id: Int) -> Waiter? {
        guard let index = waiters[key]?.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters[key]!.remove(at: index)
    }

    /// What becomes of a connection whose exchange ended well.
    enum Checkin {
        case handTo(Waiter)
        case keptIdle
        /// The client was shut down meanwhile: close it (its slot is freed).
        case close
    }

    /// A connection whose exchange ended: handed to the first waiter, or kept idle.
    mutating func checkin(_ key: Key, _ channel: any Channel, now: NIODeadline) -> Checkin {
        if isShutDown {
            open[key, default: 1] -= 1
            return .close
        }
        if let waiter = popWaiter(key) { return .handTo(waiter) }
        idle[key, default: []].append(Idle(channel: channel, since: now))
        return .keptIdle
    }

    /// A connection that will not be reused (closed, failed, or never connected) frees its slot;
    /// the first waiter, if any, is told to try again.
    mutating func release(_ key: Key) -> Waiter? {
        open[key, default: 1] -= 1
        return popWaiter(key)
    }

    /// An idle connection the peer closed: forgotten, its slot freed. False if it was not idle (an
    /// exchange owns it and releases it).
    mutating func dropIdle(_ key: Key, _ channel: any Channel) -> (dropped: Bool, waiter: Waiter?) {
        guard let index = idle[key]?.firstIndex(where: { $0.channel === channel }) else { return (false, nil) }
        idle[key]!.remove(at: index)
        return (true, release(key))
    }

    /// Everything still idle or waiting, for the caller to close and fail.
    mutating func shutDown() -> (idle: [any Channel], waiters: [Waiter]) {
        isShutDown = true
        let channels = idle.values.flatMap { $0.map(\.channel) }
        let queued = waiters.values.flatMap { $0 }
        idle = [:]
        waiters = [:]
        return (channels, queued)
    }

    private mutating func popWaiter(_ key: Key) -> Waiter? {
        guard var queue = waiters[key], !queue.isEmpty else { return nil }
        let first = queue.removeFirst()
        waiters[key] = queue
        return first
    }
}
