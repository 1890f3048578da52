import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// The wish's command as a child process: stdout and stderr read live into one buffer, signals on demand.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` is configured before `run` and afterwards only signalled and read.
    private let process = Process()
    private let pipe = Pipe()
    private let readingDone = NIOLockedValueBox(false)
    let output: OutputBuffer

    init(command: [String], environment: [String: String], output: OutputBuffer) {
        self.output = output
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--"] + command
        process.environment = environment
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
    }

    /// Runs the child to its end and returns its exit code (128 + n when signal n ended it).
    func run() async throws -> Int32 {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
                startReading()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        // Output written just before the exit may still be in the pipe; a grandchild holding the
        // pipe open must not hold us, so the drain is bounded.
        for _ in 0..<40 where !readingDone.withLockedValue({ $0 }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return exitCode
    }

    private func startReading() {
        let reader = pipe.fileHandleForReading
        let thread = Thread { [output, readingDone] in
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                output.append(data)
            }
            readingDone.withLockedValue { $0 = true }
        }
        thread.start()
    }

    var exitCode: Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    func signal(_ number: Int32) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, number)
    }
}
