import NIOConcurrencyHelpers
import WishesAWS

/// An attempt's output as kept: the first and the last `limit / 2` bytes, with a visible mark
/// for what was cut between them, so a chatty command never fills memory or S3.
public final class OutputBuffer: Sendable {
    struct State {
        var head: [UInt8] = []
        var tail: [UInt8] = []
        var total = 0
        var unsent = 0
    }

    public let limit: Int
    private let state = NIOLockedValueBox(State())

    public init(limit: Int) {
        self.limit = max(limit, 64)
    }

    public func append(_ bytes: some Collection<UInt8>) {
        state.withLockedValue { state in
            state.total += bytes.count
            state.unsent += bytes.count
            var rest = bytes[...]
            let room = limit / 2 - state.head.count
            if room > 0 {
                state.head.append(contentsOf: rest.prefix(room))
                rest = rest.dropFirst(room)
            }
            guard !rest.isEmpty else { return }
            state.tail.append(contentsOf: rest)
            if state.tail.count > limit / 2 { state.tail.removeFirst(state.tail.count - limit / 2) }
        }
    }

    /// Bytes written so far, kept or not.
    public var totalBytes: Int { state.withLockedValue { $0.total } }
    public var isTruncated: Bool { state.withLockedValue { $0.total > $0.head.count + $0.tail.count } }
    /// Bytes appended since the last `snapshot(markSent:)`.
    public var unsentBytes: Int { state.withLockedValue { $0.unsent } }

    /// What is kept, with the truncation mark where bytes were dropped.
    public func snapshot(markSent: Bool = false) -> [UInt8] {
        state.withLockedValue { state in
            if markSent { state.unsent = 0 }
            let dropped = state.total - state.head.count - state.tail.count
            guard dropped > 0 else { return state.head + state.tail }
            return state.head + Array("\n[... \(dropped) bytes of output not kept ...]\n".utf8) + state.tail
        }
    }
}
