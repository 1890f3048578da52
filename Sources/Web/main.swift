import Foundation
import Hummingbird
import Logging
import Wishes
import WishesAWS
import WishesWeb

JSONLogHandler.bootstrap()
let logger = Logger(label: "Web")
let environment = ProcessInfo.processInfo.environment
let httpClient = AWSClient.makeHTTPClient()
var code: Int32 = 0
do {
    let webSettings = try WebSettings.fromEnvironment(environment)
    let settings = try WishesSettings.fromEnvironment(environment, required: ["WISHES_BUCKET", "WISHES_QUEUE_URL"])
    let aws = try AWSClients.fromEnvironment(environment, httpClient: httpClient, logger: logger)
    let web = WebApp(book: WishBook(aws: aws, settings: settings), settings: webSettings)
    let address = BindAddress.hostname(webSettings.host, port: webSettings.port)
    let app = Application(router: web.router(), configuration: .init(address: address, serverName: nil), logger: logger)
    // SIGTERM and SIGINT shut down gracefully: in-flight requests finish first.
    try await app.runService()
} catch {
    logger.critical("Web stopped", metadata: ["error": "\(error)"])
    // A person starting it by hand reads stderr, not the JSON log on stdout.
    FileHandle.standardError.write(Data("Web: \(error)\n".utf8))
    code = 1
}
try? await httpClient.shutdown()
exit(code)
