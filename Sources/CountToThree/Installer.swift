#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `CountToThree --install DIR`, the Wishes image's init container: puts this fully static binary
/// and a CA bundle into the task's shared volume, so that the user's container (any Linux image,
/// with or without a shell, libc or trust store) runs `DIR/CountToThree` as its entry point.
enum Installer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Where Amazon Linux keeps its bundle (the Wishes image copies it there), then Debian's and Alpine's.
    static let bundles = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"]
    static let binaryName = "CountToThree"
    static let bundleName = "ca-bundle.crt"

    static func install(into directory: String, executable: String = "/proc/self/exe", bundles: [String] = Installer.bundles) throws(Failure) {
        let files = FileManager.default
        guard (try? files.attributesOfItem(atPath: directory)[.type] as? FileAttributeType) == .typeDirectory else {
            throw Failure(description: "\(directory) is not a directory: mount the task's shared volume there")
        }
        guard let bundle = bundles.first(where: { files.isReadableFile(atPath: $0) }) else {
            throw Failure(description: "no CA bundle at \(bundles.joined(separator: ", ")): the image must carry one for the task to reach S3 over TLS")
        }
        try copy(executable, to: "\(directory)/\(binaryName)", mode: 0o755, linkIfPossible: true)
        try copy(bundle, to: "\(directory)/\(bundleName)", mode: 0o644)
    }

    /// Written beside the target and renamed over it, so the user's container never starts on a half-written binary.
    /// `linkIfPossible`: a hard link when the volume shares the binary's file system, as the local
    /// Fargate's task folders do (a 100 MB debug binary per task otherwise). In ECS the volume is
    /// another mount, link(2) fails with EXDEV, and the bytes are copied.
    static func copy(_ source: String, to target: String, mode: Int, linkIfPossible: Bool = false) throws(Failure) {
        let partial = target + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        if linkIfPossible, link((try? FileManager.default.destinationOfSymbolicLink(atPath: source)) ?? source, partial) == 0 {
            do {
                if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
                try FileManager.default.moveItem(atPath: partial, toPath: target)
                return
            } catch {
                try? FileManager.default.removeItem(atPath: partial)
            }
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: source))
            try data.write(to: URL(fileURLWithPath: partial))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: partial)
            if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
            try FileManager.default.moveItem(atPath: partial, toPath: target)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw Failure(description: "cannot copy \(source) to \(target): \(error)")
        }
    }
}
