import NIOCore

/// Runs Swift tasks on a NIO event loop.
///
/// With one event loop, a task that prefers this executor and the HTTP connections it uses share
/// a thread: an awaited request resumes its caller without waking a second thread, which is most
/// of the CPU a small function spends per request otherwise. (NIO's global take-over of Swift
/// Concurrency's executor needs a `dlsym` hook that the static stdlib hides; a task executor
/// preference needs nothing.) Work that blocks must not run here: it would stall the connections.
package final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    let loop: any EventLoop

    package init(_ loop: any EventLoop) {
        self.loop = loop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
