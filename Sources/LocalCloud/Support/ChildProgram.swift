import Foundation
import NIOConcurrencyHelpers
import WishesAWS

#if canImport(Glibc)
    import Glibc
#endif

/// A program the local cloud runs (moto, MakeAWish, CountToThree, Web), its output lines
/// prefixed with its name, as one terminal shows every component's logs.
final class ChildProgram: @unchecked Sendable {
    // @unchecked: `process` is set up before `start` and then only signalled and read.
    let name: String
    let process = Process()
    private let exited = NIOLockedValueBox<[CheckedContinuation<Int32, Never>]?>([])

    init(name: String, executable: String, arguments: [String] = [], environment: [String: String]) {
        self.name = name
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
    }

    /// Starts the program; `onLine` sees each output line (default: print it with the prefix).
    func start(onLine: (@Sendable (String) -> Void)? = nil) throws {
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.terminationHandler = { [exited] process in
            let code = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
            let waiting = exited.withLockedValue { waiting in
                defer { waiting = nil }
                return waiting ?? []
            }
            for continuation in waiting { continuation.resume(returning: code) }
        }
        try process.run()
        let name = name
        let print = onLine ?? { line in ConsoleOutput.write("\(name) | \(line)") }
        Thread {
            let reader = pipe.fileHandleForReading
            var pending: [UInt8] = []
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                pending.append(contentsOf: data)
                while let newline = pending.firstIndex(of: 10) {
                    print(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
                if pending.count > 64 << 10 {
                    print(String(decoding: pending, as: UTF8.self))
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { print(String(decoding: pending, as: UTF8.self)) }
            // Thousands of short tasks must not leave thousands of descriptors open: past 1,024,
            // Foundation's Process.run overruns an fd_set and crashes.
            try? reader.close()
        }.start()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits for the exit and returns its code (128 + n for signal n).
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let stored = exited.withLockedValue { waiting -> Bool in
                guard waiting != nil else { return false }
                waiting?.append(continuation)
                return true
            }
            if !stored {
                let code = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
                continuation.resume(returning: code)
            }
        }
    }

    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// SIGTERM now, SIGKILL after `grace` if it still runs. It does not wait: a cancellation handler
    /// calls it, and a cancelled sleep turned the old waiting loop into a spin.
    func terminate(grace: Duration) {
        guard isRunning else { return }
        signal(SIGTERM)
        signal(SIGCONT)  // a frozen (SIGSTOP) process acts on SIGTERM only once thawed
        let seconds = Double(grace.components.seconds) + Double(grace.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in signal(SIGKILL) }
    }

    /// SIGTERM, then SIGKILL after `grace`, and the exit; a cancelled caller waits all the same.
    func stop(grace: Duration = .seconds(5)) async {
        terminate(grace: grace)
        _ = await wait()
    }

    /// Waits for the exit; a caller that is cancelled stops the program (`terminate`) and still waits.
    func wait(stoppingOnCancelAfter grace: Duration) async -> Int32 {
        await withTaskCancellationHandler {
            await wait()
        } onCancel: {
            terminate(grace: grace)
        }
    }

    /// Peak resident memory (VmHWM), in MiB, while the process lives.
    var peakMemoryMiB: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kib / 1024
    }
}

/// Whole lines to stdout, never interleaved.
enum ConsoleOutput {
    static let lock = NIOLock()
    static func write(_ line: String) {
        lock.withLock {
            var text = line
            text.append("\n")
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
