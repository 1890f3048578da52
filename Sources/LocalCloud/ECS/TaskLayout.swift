import Foundation
import WishesAWS

/// How a task definition's containers run on this host, where no image is pulled: the Wishes
/// image's `/opt/wishes` is the folder of the built binaries, and every task volume is a fresh
/// folder of the task's own. Container paths in entry points, commands and environment values are
/// read through those, so the init container really installs CountToThree into the volume and the
/// wish's container really starts the installed copy, as the template wires them in AWS.
struct TaskLayout: Sendable {
    /// One container's process: what ECS would start in it.
    struct Container: Sendable {
        var name: String
        var executable: String
        var arguments: [String]
        var environment: [String: String]
        /// `dependsOn` SUCCESS: the essential container starts only after this one exits 0.
        var mustSucceed: Bool
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The essential container's dependencies, in the order they run, then the essential one.
    var dependencies: [Container]
    var essential: Container
    /// The task's folder: one subfolder per volume, removed when the task stops.
    var root: String
    var volumes: [String]

    /// Where the Wishes image keeps its binaries (deploy/Containerfile and deploy/build-image).
    static let imageBinaries = "/opt/wishes"

    /// `image` maps paths of the Wishes image to this host's; `environment` is what ECS sets in
    /// every container (metadata endpoint, container credentials).
    init(
        definition: ECS.TaskDefinition, overrides: [ECS.ContainerOverride], image: [(String, String)], root: String,
        environment: [String: String]
    ) throws(Problem) {
        let containers = definition.containerDefinitions
        let essentials = containers.filter { $0.essential ?? true }
        guard essentials.count == 1, let main = essentials.first else {
            throw Problem(description: "\(definition.family) has \(essentials.count) essential containers; the local Fargate runs tasks with exactly one")
        }
        self.root = root
        volumes = (definition.volumes ?? []).compactMap(\.name)
        let volumeFolders = Dictionary(volumes.map { ($0, "\(root)/\($0)") }, uniquingKeysWith: { first, _ in first })
        func layout(_ container: ECS.ContainerDefinition, mustSucceed: Bool) throws(Problem) -> Container {
            // Longest container path first, so /wishes-bin/x is read through /wishes-bin and not through /.
            var paths = image
            for mount in container.mountPoints ?? [] {
                guard let volume = mount.sourceVolume, let folder = volumeFolders[volume], let path = mount.containerPath else { continue }
                paths.append((path, folder))
            }
            paths.sort { $0.0.count > $1.0.count }
            func host(_ value: String) -> String {
                for (path, folder) in paths where value == path || value.hasPrefix(path + "/") {
                    return folder + value.dropFirst(path.count)
                }
                return value
            }
            let override = overrides.first { $0.name == container.name }
            let argv = (container.entryPoint ?? []) + (override?.command ?? container.command ?? [])
            guard let first = argv.first else {
                throw Problem(description: "container \(container.name) has no entry point or command; the local Fargate cannot use an image's own")
            }
            var values = environment
            for pair in (container.environment ?? []) + (override?.environment ?? []) { values[pair.name] = pair.value }
            return Container(
                name: container.name, executable: host(first), arguments: argv.dropFirst().map(host), environment: values.mapValues(host),
                mustSucceed: mustSucceed)
        }
        var dependencies: [Container] = []
        for dependency in main.dependsOn ?? [] {
            guard let container = containers.first(where: { $0.name == dependency.containerName }) else {
                throw Problem(description: "container \(main.name) depends on \(dependency.containerName), which is not in \(definition.family)")
            }
            guard ["SUCCESS", "COMPLETE"].contains(dependency.condition) else {
                throw Problem(description: "dependsOn \(dependency.condition): the local Fargate runs SUCCESS and COMPLETE dependencies only")
            }
            dependencies.append(try layout(container, mustSucceed: dependency.condition == "SUCCESS"))
        }
        self.dependencies = dependencies
        essential = try layout(main, mustSucceed: false)
    }

    /// A fresh, empty folder per volume, as Fargate gives each task.
    func makeVolumes() throws {
        for volume in volumes {
            try FileManager.default.createDirectory(atPath: "\(root)/\(volume)", withIntermediateDirectories: true)
        }
    }

    func removeVolumes() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
