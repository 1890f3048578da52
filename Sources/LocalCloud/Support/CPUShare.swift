import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A process's share of the CPU, as Lambda gives a function one in proportion to its memory
/// (1,769 MB is one vCPU, so 128 MB is about 7 % of one): the kernel's CFS bandwidth control, in a
/// cgroup of its own.
///
/// Without it a function here runs on whole cores, and whatever its CPU costs hides in the wait
/// for AWS: a runtime that spends 20 ms of CPU a batch is billed for 20 ms here and for ~280 ms in a
/// 128 MB function.
struct CPUShare: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// cgroup v1's cpu controller: `cpu.cfs_quota_us` per `cpu.cfs_period_us`.
        case cgroupV1(String)
        /// cgroup v2: `cpu.max` takes "QUOTA PERIOD".
        case cgroupV2(String)
        /// Not limited: none asked for, or this machine lets no cgroup be made.
        case none
    }

    let kind: Kind
    /// vCPUs granted, e.g. 0.072 for 128 MB.
    let cpus: Double

    /// Lambda's memory for one vCPU.
    static let megabytesPerVCPU = 1_769.0
    /// The kernel's default CFS period; the quota is spent within each.
    static let periodMicroseconds = 100_000

    static func lambda(memoryMB: Int) -> Double { Double(memoryMB) / megabytesPerVCPU }

    /// A function's memory size as Lambda takes it: whole megabytes from 128 to 10,240.
    static func lambdaMemory(_ text: String, flag: String, usage: String = LocalCloudOptions.usage) throws(UsageError) -> Int {
        guard let megabytes = Int(text), (128...10_240).contains(megabytes) else {
            throw UsageError("\(flag) takes a memory size from 128 to 10240 MB, as Lambda does, not '\(text)'", usage: usage)
        }
        return megabytes
    }

    static let unlimited = CPUShare(kind: .none, cpus: 0)

    /// A cgroup limited to `cpus` for `name`, or `.unlimited` (with a warning) where none can be made.
    ///
    /// On cgroup v2 a process has one cgroup, so an environment the `freezer` holds in a v2 cgroup
    /// gets its share in that same one.
    static func make(name: String, cpus: Double, freezer: Freezer = Freezer(kind: .none), logger: Logger, holder: String = "functions") -> CPUShare {
        let unique = "wishes-\(getpid())-\(name)"
        let quota = max(1_000, Int((cpus * Double(periodMicroseconds)).rounded()))
        let manager = FileManager.default
        let v1 = "/sys/fs/cgroup/cpu"
        Freezer.removeStale(in: v1)
        if manager.fileExists(atPath: v1 + "/cpu.cfs_quota_us") {
            let path = "\(v1)/\(unique)"
            if (try? manager.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
                Freezer.write(String(periodMicroseconds), to: path + "/cpu.cfs_period_us"),
                Freezer.write(String(quota), to: path + "/cpu.cfs_quota_us")
            {
                return CPUShare(kind: .cgroupV1(path), cpus: cpus)
            }
            rmdir(path)
        }
        if case .cgroupV2(let path) = freezer.kind, Freezer.write("\(quota) \(periodMicroseconds)", to: path + "/cpu.max") {
            return CPUShare(kind: .cgroupV2(path), cpus: cpus)
        }
        if let root = Freezer.cgroupV2Root() {
            // The cpu controller must be on for the root's children; where the root refuses, this fails below.
            _ = Freezer.write("+cpu", to: root + "/cgroup.subtree_control")
            let path = "\(root)/\(unique)-cpu"
            if (try? manager.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
                Freezer.write("\(quota) \(periodMicroseconds)", to: path + "/cpu.max")
            {
                return CPUShare(kind: .cgroupV2(path), cpus: cpus)
            }
            rmdir(path)
        }
        logger.warning(
            "no cpu cgroup here (run as root for AWS's share of the CPU): \(holder) run on whole cores, faster than AWS would run them",
            metadata: ["vcpus": "\(cpus)"])
        return .unlimited
    }

    /// Puts a new process (and the threads it starts from now on) under this share.
    func adopt(_ pid: Int32) {
        switch kind {
        case .cgroupV1(let path), .cgroupV2(let path): Freezer.write("\(pid)", to: path + "/cgroup.procs")
        case .none: break
        }
    }

    /// Removes the cgroup once its processes are gone.
    func remove() {
        switch kind {
        case .cgroupV1(let path), .cgroupV2(let path): rmdir(path)
        case .none: break
        }
    }
}
