import CWishesSystem
import Dispatch
import NIOConcurrencyHelpers
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The wish's command as a child process: stdout and stderr read live into one buffer, signals on demand.
///
/// Spawned with posix_spawn as Foundation's `Process` did (its own process group, stdin from /dev/null,
/// every other descriptor closed), without `Process`, which only full Foundation has.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: the arguments are fixed at init; `state` holds what changes.
    private let arguments: [String]
    private let environment: [String: String]
    private let state = NIOLockedValueBox<(pid: pid_t, running: Bool, status: Int32)>((0, false, 0))
    private let readingDone = NIOLockedValueBox(false)
    let output: OutputBuffer

    init(command: [String], environment: [String: String], output: OutputBuffer) {
        self.output = output
        arguments = command
        self.environment = environment
    }

    /// The command's program as `execvp` finds it, on the command's own PATH. Done here rather than
    /// through `/usr/bin/env`, which a distroless or scratch image does not have.
    static func resolve(_ program: String, path: String?) -> String? {
        if program.contains("/") { return program }
        let directories = (path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":", omittingEmptySubsequences: false)
        for directory in directories {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    struct SpawnError: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    /// Runs the child to its end and returns its exit code (128 + n when signal n ended it).
    func run() async throws -> Int32 {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SpawnError(call: "pipe", code: errno) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let pid: pid_t
        do {
            pid = try spawn(writeEnd: fds[1])
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        state.withLockedValue { $0 = (pid, true, 0) }
        startReading(fds[0])
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { [state] in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                state.withLockedValue {
                    $0.running = false
                    $0.status = status
                }
                continuation.resume()
            }
        }
        // Output written just before the exit may still be in the pipe; a grandchild holding the
        // pipe open must not hold us, so the drain is bounded.
        for _ in 0..<40 where !readingDone.withLockedValue({ $0 }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return exitCode
    }

    private func spawn(writeEnd: Int32) throws -> pid_t {
        #if canImport(Darwin)
            var actions: posix_spawn_file_actions_t?
            var attributes: posix_spawnattr_t?
            let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_CLOEXEC_DEFAULT
        #else
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
            let flags = POSIX_SPAWN_SETPGROUP
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        #if !canImport(Darwin)
            wishes_spawn_close_from(&actions, 3)
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        guard let program = Self.resolve(arguments[0], path: environment["PATH"]) else {
            throw SpawnError(call: "\(arguments[0]): command not found on PATH; exec", code: ENOENT)
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnError(call: "posix_spawn \(arguments[0])", code: result) }
        return pid
    }

    private func startReading(_ fd: Int32) {
        DispatchQueue.global().async { [output, readingDone] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                output.append(buffer[0..<count])
            }
            close(fd)
            readingDone.withLockedValue { $0 = true }
        }
    }

    var exitCode: Int32 {
        let status = state.withLockedValue { $0.status }
        // WIFSIGNALED: 128 + WTERMSIG; otherwise WEXITSTATUS.
        let signal = status & 0x7f
        return signal != 0 && signal != 0x7f ? 128 + signal : (status >> 8) & 0xff
    }

    func signal(_ number: Int32) {
        let pid = state.withLockedValue { $0.running ? $0.pid : 0 }
        guard pid > 0 else { return }
        kill(pid, number)
    }
}
