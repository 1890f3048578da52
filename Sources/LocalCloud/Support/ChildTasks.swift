import WishesAWS

/// Work that a service starts from outside its own `run` (a request handler, an actor), run as
/// children of that service's task group: it is cancelled with the service and never outlives it.
struct ChildTasks: Sendable {
    typealias Work = @Sendable () async -> Void
    private let stream: AsyncStream<Work>
    private let input: AsyncStream<Work>.Continuation

    init() {
        (stream, input) = AsyncStream.makeStream(of: Work.self)
    }

    /// Runs `work` as a child of `run`, as soon as `run` takes it.
    func add(_ work: @escaping Work) {
        input.yield(work)
    }

    /// Runs what is added until cancelled, and then waits for the children, which are cancelled too.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await work in stream {
                group.addTask { await work() }
            }
        }
    }
}
