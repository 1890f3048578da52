/// Fargate's valid task sizes: each vCPU value allows a fixed set of memory values (MiB).
public enum FargateSize {
    /// vCPU → the memory values it allows, from the ECS task size table.
    public static let table: [(vcpus: Double, memory: [Int])] = [
        (0.25, [512, 1024, 2048]),
        (0.5, Array(stride(from: 1024, through: 4096, by: 1024))),
        (1, Array(stride(from: 2048, through: 8192, by: 1024))),
        (2, Array(stride(from: 4096, through: 16384, by: 1024))),
        (4, Array(stride(from: 8192, through: 30720, by: 1024))),
        (8, Array(stride(from: 16384, through: 61440, by: 4096))),
        (16, Array(stride(from: 32768, through: 122_880, by: 8192))),
    ]

    public static func isValid(vcpus: Double, memory: Int) -> Bool {
        table.first { $0.vcpus == vcpus }?.memory.contains(memory) ?? false
    }

    /// The memory values allowed for `vcpus`, for the error message; nil when the vCPU value is not Fargate's.
    public static func allowedMemory(vcpus: Double) -> [Int]? {
        table.first { $0.vcpus == vcpus }?.memory
    }
}
