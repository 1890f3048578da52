import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// The ECS task role, served by the container agent at `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
/// (on 169.254.170.2) or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the authorization token when set.
public struct ContainerCredentialProvider: CredentialProvider {
    static let ecsHost = "http://169.254.170.2"

    let url: String
    let authorizationToken: String?
    let authorizationTokenFile: String?
    let httpClient: HTTPClient
    let timeout: TimeAmount

    /// Nil when the environment names no container endpoint.
    public init?(environment: [String: String], httpClient: HTTPClient, timeout: TimeAmount = .seconds(5)) {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = Self.ecsHost + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            url = full
        } else {
            return nil
        }
        authorizationToken = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        authorizationTokenFile = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
        self.httpClient = httpClient
        self.timeout = timeout
    }

    struct Response: Decodable {
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var Token: String?
        var Expiration: String?
        var Code: String?
        var Message: String?
    }

    public func credentials() async throws -> Credentials {
        var request = HTTPClientRequest(url: url)
        if let file = authorizationTokenFile {
            // The file is rotated by the agent, so it is read on every fetch.
            guard let token = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CredentialError.containerEndpoint("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file)")
            }
            request.headers.add(name: "Authorization", value: token.trimmingCharacters(in: .whitespacesAndNewlines))
        } else if let token = authorizationToken {
            request.headers.add(name: "Authorization", value: token)
        }
        var lastError = "no attempt made"
        for attempt in 0..<3 {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(100 << attempt)) }
            do {
                let response = try await httpClient.execute(request, timeout: timeout)
                let body = try await response.body.collect(upTo: 64 * 1024)
                guard response.status == .ok else {
                    lastError = "HTTP \(response.status.code)"
                    if response.status.code < 500 { break }
                    continue
                }
                return try Self.decode(Data(buffer: body))
            } catch let error as CredentialError {
                throw error
            } catch {
                lastError = String(describing: error)
            }
        }
        throw CredentialError.containerEndpoint("\(url): \(lastError)")
    }

    static func decode(_ data: Data) throws -> Credentials {
        let source = "the container credentials endpoint"
        guard let body = try? JSONDecoder().decode(Response.self, from: data) else {
            throw CredentialError.invalidResponse(source: source, reason: "the body is not the expected JSON")
        }
        if let code = body.Code, code != "Success" {
            throw CredentialError.invalidResponse(source: source, reason: "\(code): \(body.Message ?? "")")
        }
        guard let key = body.AccessKeyId, let secret = body.SecretAccessKey else {
            throw CredentialError.invalidResponse(source: source, reason: "AccessKeyId or SecretAccessKey missing")
        }
        let expiration = body.Expiration.flatMap { try? Date($0, strategy: .iso8601) }
        return Credentials(accessKeyId: key, secretAccessKey: secret, sessionToken: body.Token, expiration: expiration)
    }
}
