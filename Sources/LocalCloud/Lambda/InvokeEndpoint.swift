import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import WishesAWS

/// The invoke route of AWS's runtime interface emulator (`POST /2015-03-31/functions/function/invocations`):
/// hands any event to the local function and answers as Lambda's Invoke API does, with
/// `X-Amz-Function-Error` and the error JSON when the function fails.
struct InvokeEndpoint: Service {
    let port: Int
    let pool: FunctionPool
    let logger: Logger

    func run() async throws {
        let router = Router()
        router.post("/2015-03-31/functions/:name/invocations") { request, _ -> Response in
            let event = try await request.body.collect(upTo: 6 << 20)
            return Self.response(await pool.invoke(Array(buffer: event)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil), logger: logger)
        try await app.run()
    }

    static func response(_ result: InvocationResult) -> Response {
        let (type, message): (String, String)
        switch result {
        case .response(let body):
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .error(let errorType, let errorMessage): (type, message) = (errorType, errorMessage)
        case .timedOut(let seconds): (type, message) = ("Sandbox.Timedout", "Task timed out after \(seconds).00 seconds")
        case .runtimeExited: (type, message) = ("Runtime.ExitError", result.exitMessage)
        }
        let body = (try? JSONSerialization.data(withJSONObject: ["errorType": type, "errorMessage": message], options: [.sortedKeys])) ?? Data()
        return Response(
            status: .ok, headers: [.contentType: "application/json", HTTPField.Name("X-Amz-Function-Error")!: "Unhandled"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
