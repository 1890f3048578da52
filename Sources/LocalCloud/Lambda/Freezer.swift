import Foundation
import Logging
import WishesAWS

#if canImport(Glibc)
    import Glibc
#endif

/// Freezes an idle function environment and thaws it for its next event, as Lambda does, with the
/// kernel's cgroup freezer when this machine offers one.
///
/// SIGSTOP is only the fallback, and a weaker one: each stop and continue restarts the process's
/// blocking waits, so a timer that Lambda's freezer lets fire (AsyncHTTPClient's read timeout on
/// `/next`, seen killing the bootstrap after a minute) never fires under SIGSTOP cycles.
struct Freezer: Sendable {
    enum Kind: Sendable, Equatable {
        /// cgroup v1's freezer controller: `freezer.state` takes FROZEN and THAWED.
        case cgroupV1(String)
        /// cgroup v2: `cgroup.freeze` takes 1 and 0.
        case cgroupV2(String)
        case signals
        /// Never frozen: a runtime that someone else started, or a bare Runtime API's.
        case none
    }

    let kind: Kind

    /// A cgroup of its own for `name` where the machine allows one, else signals.
    static func make(name: String, logger: Logger) -> Freezer {
        let unique = "wishes-\(getpid())-\(name)"
        let manager = FileManager.default
        for parent in ["/sys/fs/cgroup/freezer"] + (cgroupV2Root().map { [$0] } ?? []) { removeStale(in: parent) }
        if manager.fileExists(atPath: "/sys/fs/cgroup/freezer/cgroup.procs") {
            let path = "/sys/fs/cgroup/freezer/\(unique)"
            if (try? manager.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
                manager.fileExists(atPath: path + "/freezer.state")
            {
                return Freezer(kind: .cgroupV1(path))
            }
        }
        if let root = cgroupV2Root() {
            let path = "\(root)/\(unique)"
            if (try? manager.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
                manager.fileExists(atPath: path + "/cgroup.freeze")
            {
                return Freezer(kind: .cgroupV2(path))
            }
        }
        logger.warning(
            "no cgroup freezer here (run as root for Lambda's kind of freeze): idle environments get SIGSTOP, which restarts some timers that Lambda's freezer lets fire"
        )
        return Freezer(kind: .signals)
    }

    /// A local cloud that was killed (SIGKILL) left its environments frozen in their cgroups: thaw
    /// them, end them, and remove the cgroups.
    static func removeStale(in parent: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for entry in entries where entry.hasPrefix("wishes-") {
            guard let owner = entry.split(separator: "-").dropFirst().first.flatMap({ Int32($0) }), kill(owner, 0) != 0 else { continue }
            let path = "\(parent)/\(entry)"
            write("THAWED", to: path + "/freezer.state")
            write("0", to: path + "/cgroup.freeze")
            let procs = (try? String(contentsOfFile: path + "/cgroup.procs", encoding: .utf8)) ?? ""
            for pid in procs.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            rmdir(path)
        }
    }

    static func cgroupV2Root() -> String? {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return nil }
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 2, fields[2] == "cgroup2" { return String(fields[1]) }
        }
        return nil
    }

    /// Puts a new process of the environment under this freezer.
    func adopt(_ pid: Int32) {
        switch kind {
        case .cgroupV1(let path), .cgroupV2(let path): Self.write("\(pid)", to: path + "/cgroup.procs")
        case .signals, .none: break
        }
    }

    func freeze(_ pid: Int32) {
        switch kind {
        case .cgroupV1(let path): Self.write("FROZEN", to: path + "/freezer.state")
        case .cgroupV2(let path): Self.write("1", to: path + "/cgroup.freeze")
        case .signals: kill(pid, SIGSTOP)
        case .none: break
        }
    }

    func thaw(_ pid: Int32) {
        switch kind {
        case .cgroupV1(let path): Self.write("THAWED", to: path + "/freezer.state")
        case .cgroupV2(let path): Self.write("0", to: path + "/cgroup.freeze")
        case .signals: kill(pid, SIGCONT)
        case .none: break
        }
    }

    /// Removes the cgroup once its processes are gone.
    func remove() {
        switch kind {
        case .cgroupV1(let path), .cgroupV2(let path):
            thaw(0)
            rmdir(path)
        case .signals, .none: break
        }
    }

    /// Whether the kernel took the whole of `text` (a cgroup file refuses a value with an error).
    @discardableResult
    static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return text.withCString { Glibc.write(fd, $0, strlen($0)) } == text.utf8.count
    }
}
