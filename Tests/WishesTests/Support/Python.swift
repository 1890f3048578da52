import Foundation

@testable import WishesAWS

/// Runs one of the referee scripts in `Scripts/` (botocore, boto3) with JSON in and JSON out.
enum Python {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts")
    /// The checkout's top folder.
    static let repository = scripts.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run<Output: Decodable & Sendable>(_ script: String, input: some Encodable, environment: [String: String] = [:], as: Output.Type = Output.self)
        async throws -> Output
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wishes-py-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputFile = directory.appendingPathComponent("in.json")
        let outputFile = directory.appendingPathComponent("out.json")
        let errorFile = directory.appendingPathComponent("err.txt")
        try JSONEncoder().encode(input).write(to: inputFile)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scripts.appendingPathComponent(script).path, inputFile.path, outputFile.path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardError = try FileHandle(forWritingTo: errorFile)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try await offPool { process.waitUntilExit() }
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw TestError("\(script) exited \(process.terminationStatus): \(stderr.suffix(2000))")
        }
        return try JSONDecoder().decode(Output.self, from: Data(contentsOf: outputFile))
    }
}
