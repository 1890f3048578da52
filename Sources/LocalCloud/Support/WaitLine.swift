import NIOConcurrencyHelpers

/// Items handed to callers that wait for one, in the order they came. A caller cancelled while it
/// waits (the local cloud stops) leaves the line at once, holding nothing: otherwise it would wait
/// forever for an item that shutdown never gives back, and the cloud with it.
final class WaitLine<Item: Sendable>: Sendable {
    private struct State {
        var free: [Item]
        var waiting: [(id: Int, continuation: CheckedContinuation<Item?, Never>)] = []
        var nextID = 0
    }

    private let state: NIOLockedValueBox<State>

    private enum Next {
        case take(Item)
        case cancelled, wait
    }

    init(_ items: [Item]) { state = NIOLockedValueBox(State(free: items)) }

    /// A free item, or nil once the caller is cancelled.
    func acquire() async -> Item? {
        let id = state.withLockedValue { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
                let next = state.withLockedValue { state -> Next in
                    if let item = state.free.popLast() { return .take(item) }
                    if Task.isCancelled { return .cancelled }
                    state.waiting.append((id, continuation))
                    return .wait
                }
                switch next {
                case .take(let item): continuation.resume(returning: item)
                case .cancelled: continuation.resume(returning: nil)
                case .wait: break
                }
            }
        } onCancel: {
            let left = state.withLockedValue { state -> CheckedContinuation<Item?, Never>? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            left?.resume(returning: nil)
        }
    }

    /// Gives `item` back: to the first caller waiting, else to the free ones.
    func release(_ item: Item) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Item?, Never>? in
            guard !state.waiting.isEmpty else {
                state.free.append(item)
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        waiter?.resume(returning: item)
    }
}
