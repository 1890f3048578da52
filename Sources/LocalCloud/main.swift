import Foundation
import Logging
import ServiceLifecycle
import Wishes
import WishesAWS

#if canImport(Glibc)
    import Glibc
#endif

JSONLogHandler.bootstrap()
let logger = Logger(label: "LocalCloud")

// Tests start the local cloud as a child: it must not outlive them.
if ProcessInfo.processInfo.environment["WISHES_EXIT_WITH_PARENT"] == "1" {
    let parent = getppid()
    Thread {
        while getppid() == parent { Thread.sleep(forTimeInterval: 0.5) }
        kill(getpid(), SIGTERM)
    }.start()
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "runtime-api" {
    let command: RuntimeAPICommand
    do {
        command = try RuntimeAPICommand.parse(arguments.dropFirst())
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(2)
    }
    do {
        try await command.run(logger: logger)
        exit(0)
    } catch {
        logger.critical("runtime API stopped", metadata: ["error": "\(error)"])
        exit(1)
    }
}

let options: LocalCloudOptions
do {
    options = try LocalCloudOptions.parse(arguments)
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}

do {
    try await LocalCloud(options: options, logger: logger).run()
} catch {
    logger.critical("local cloud stopped", metadata: ["error": "\(error)"])
    exit(1)
}
