import Foundation

@testable import WishesAWS

/// The executables of the build that made this test binary, whatever `--scratch-path` it used: two
/// builds side by side (`.build`, `.build-web`) each test their own binaries.
enum BuiltProducts {
    static let folder: URL = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        if FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("LocalCloud").path) { return folder }
        return Python.repository.appendingPathComponent(".build/debug")
    }()

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
}
