#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// AWS's JSON protocols (1.0 for SQS, 1.1 for ECS): a POST to `/` whose `X-Amz-Target` names the operation.
struct AWSJSONProtocol: Sendable {
    let service: AWSService
    let targetPrefix: String
    let contentType: String

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func request(_ operation: String, _ input: some Encodable, timeout: Duration? = nil) throws(AWSClientError) -> AWSRequest {
        let body: Data
        do {
            body = try Self.encoder.encode(input)
        } catch {
            throw .invalidResponse(service: service, operation: operation, reason: "cannot encode the request: \(error)")
        }
        return AWSRequest(
            service: service,
            operation: operation,
            method: "POST",
            headers: [
                .init("Content-Type", contentType),
                .init("X-Amz-Target", "\(targetPrefix).\(operation)"),
            ],
            body: Array(body),
            timeout: timeout
        )
    }

    func call<Output: Decodable>(
        _ client: AWSClient, _ operation: String, _ input: some Encodable, timeout: Duration? = nil,
        as: Output.Type = Output.self
    ) async throws(AWSClientError) -> Output {
        let response = try await client.send(request(operation, input, timeout: timeout))
        do {
            return try JSONDecoder().decode(Output.self, from: Data(response.body.isEmpty ? Array("{}".utf8) : response.body))
        } catch {
            throw .invalidResponse(service: service, operation: operation, reason: "\(error)")
        }
    }
}

/// Output of operations that return nothing worth reading.
struct EmptyOutput: Codable, Sendable {}
