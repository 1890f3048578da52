import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Wishes
import WishesWeb

JSONLogHandler.bootstrap()
let logger = Logger(label: "Web")
let environment = ProcessInfo.processInfo.environment
let httpClient = AWSClient.makeHTTPClient()
var code: Int32 = 0
do {
    let settings = try WishesSettings.fromEnvironment(environment, required: ["WISHES_BUCKET", "WISHES_QUEUE_URL"])
    let aws = try AWSClients.fromEnvironment(environment, httpClient: httpClient, logger: logger)
    let web = WebApp(book: WishBook(aws: aws, settings: settings), token: environment["WISHES_API_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    let host = environment["WISHES_WEB_HOST"] ?? "127.0.0.1"
    let port = environment["WISHES_WEB_PORT"].flatMap(Int.init) ?? 8080
    let app = Application(router: web.router(), configuration: .init(address: .hostname(host, port: port), serverName: nil), logger: logger)
    // SIGTERM and SIGINT shut down gracefully: in-flight requests finish first.
    try await app.runService()
} catch {
    logger.critical("Web stopped", metadata: ["error": "\(error)"])
    code = 1
}
try? await httpClient.shutdown()
exit(code)
