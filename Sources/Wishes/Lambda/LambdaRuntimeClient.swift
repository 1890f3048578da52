import Logging
import NIOCore
import NIOHTTP1
import WishesAWS

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Speaks the Lambda Runtime API (2018-06-01): take the next event, answer it, or report an error.
///
/// `/next` has no timeout (Lambda freezes the process between events and holds `/next` for as
/// long as no event comes); the answers do.
public struct LambdaRuntimeClient: Sendable {
    public let host: String
    let httpClient: HTTPClient
    let answerTimeout: Duration = .seconds(30)
    static let maxEventBytes = 6 << 20 + 1024

    public init(runtimeAPI: String?, httpClient: HTTPClient) throws(LambdaRuntimeError) {
        guard let runtimeAPI, !runtimeAPI.isEmpty, !runtimeAPI.contains("/"), runtimeAPI.contains(":") || !runtimeAPI.contains(" ") else {
            throw .missingRuntimeAPI(runtimeAPI)
        }
        self.host = runtimeAPI
        self.httpClient = httpClient
    }

    var base: String { "http://\(host)/2018-06-01/runtime" }

    /// An HTTP client for the Runtime API alone: `/next` waits, frozen and thawed, for as long as
    /// Lambda has no event, so nothing may time it out (once, a 60 s read timeout there made an idle
    /// function die after a minute, and Lambda reported `Runtime.ExitError`). The connection stays
    /// open across freezes.
    public static func makeHTTPClient() -> HTTPClient {
        HTTPClient(configuration: .init(connectTimeout: .seconds(5), maxConnectionsPerHost: 2, idleTimeout: .seconds(24 * 3600)))
    }

    /// Waits for the next event.
    public func next(logger: Logger) async throws(LambdaRuntimeError) -> LambdaInvocation {
        let (status, headers, body) = try await call("next", "GET", "\(base)/invocation/next", body: nil, headers: [:], timeout: nil)
        return try Self.invocation(status: status, headers: headers, body: body, logger: logger)
    }

    /// `/next`'s answer as the function sees it, or why it breaks the protocol.
    static func invocation(status: Int, headers: HTTPHeaders, body: [UInt8], logger: Logger) throws(LambdaRuntimeError) -> LambdaInvocation {
        guard status == 200 else { throw .unexpectedStatus(operation: "next", status: status, body: String(decoding: body, as: UTF8.self)) }
        guard let requestID = headers.first(name: "Lambda-Runtime-Aws-Request-Id"), !requestID.isEmpty else {
            throw .missingHeader("Lambda-Runtime-Aws-Request-Id")
        }
        guard let deadlineText = headers.first(name: "Lambda-Runtime-Deadline-Ms"), let millis = Double(deadlineText) else {
            throw .missingHeader("Lambda-Runtime-Deadline-Ms")
        }
        var logger = logger
        logger[metadataKey: "requestId"] = "\(requestID)"
        return LambdaInvocation(
            requestID: requestID, deadline: Date(timeIntervalSince1970: millis / 1000),
            invokedFunctionARN: headers.first(name: "Lambda-Runtime-Invoked-Function-Arn"),
            traceID: headers.first(name: "Lambda-Runtime-Trace-Id"), event: body, logger: logger)
    }

    /// Answers `requestID` with `body`; the API accepts with 202.
    public func respond(_ requestID: String, body: [UInt8]) async throws(LambdaRuntimeError) {
        try await post("response", "\(base)/invocation/\(requestID)/response", body: body, errorType: nil)
    }

    /// Reports that the invocation failed, naming the error as Lambda shows it.
    public func fail(_ requestID: String, errorType: String, message: String) async throws(LambdaRuntimeError) {
        try await post("error", "\(base)/invocation/\(requestID)/error", body: Self.errorBody(errorType, message), errorType: errorType)
    }

    /// Reports that start-up failed; Lambda then fails the pending invocation with this error.
    public func initError(errorType: String, message: String) async throws(LambdaRuntimeError) {
        try await post("init/error", "\(base)/init/error", body: Self.errorBody(errorType, message), errorType: errorType)
    }

    static func errorBody(_ type: String, _ message: String) -> [UInt8] {
        let object: [String: JSONValue] = ["errorType": .string(type), "errorMessage": .string(message), "stackTrace": .array([])]
        // As JSONSerialization wrote it: sorted keys, "/" escaped.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(object)) ?? Data())
    }

    func post(_ operation: String, _ url: String, body: [UInt8], errorType: String?) async throws(LambdaRuntimeError) {
        var headers = ["Content-Type": "application/json"]
        if let errorType { headers["Lambda-Runtime-Function-Error-Type"] = errorType }
        let (status, _, answer) = try await call(operation, "POST", url, body: body, headers: headers, timeout: answerTimeout)
        guard status == 202 else { throw .unexpectedStatus(operation: operation, status: status, body: String(decoding: answer, as: UTF8.self)) }
    }

    func call(_ operation: String, _ method: String, _ url: String, body: [UInt8]?, headers: [String: String], timeout: Duration?)
        async throws(LambdaRuntimeError) -> (Int, HTTPHeaders, [UInt8])
    {
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.add(name: name, value: value) }
        do {
            let request = try HTTPClient.Request(method: HTTPMethod(rawValue: method), url: url, headers: fields, body: body ?? [])
            let response = try await httpClient.execute(request, timeout: timeout, maxBodyBytes: Self.maxEventBytes)
            return (response.status, response.headers, Array(buffer: response.body))
        } catch {
            throw .transport(operation: operation, reason: "\(error)")
        }
    }
}
