import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import Wishes

JSONLogHandler.bootstrap()
let logger = Logger(label: "LocalCloud")

let options: LocalCloudOptions
do {
    options = try LocalCloudOptions.parse(Array(CommandLine.arguments.dropFirst()))
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
