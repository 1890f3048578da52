import NIOCore
import NIOFoundationEssentialsCompat
import NIOHTTP1

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The ECS task role, served by the container agent at `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
/// (on 169.254.170.2) or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the authorization token when set.
public struct ContainerCredentialProvider: CredentialProvider {
    /// The agent's endpoint answers within milliseconds when it is up: 200 ms, then 400 ms.
    static let backoff = Backoff(base: .milliseconds(200), cap: .seconds(1), jitter: .none)

    static let ecsHost = "http://169.254.170.2"

    let url: String
    let authorizationToken: String?
    let authorizationTokenFile: String?
    let httpClient: HTTPClient
    let timeout: Duration

    /// Nil when the environment names no container endpoint.
    public init?(environment: [String: String], httpClient: HTTPClient, timeout: Duration = .seconds(5)) {
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

    /// The hosts the SDKs accept for `AWS_CONTAINER_CREDENTIALS_FULL_URI` over plain http: loopback,
    /// ECS's 169.254.170.2 and EKS Pod Identity's 169.254.170.23 and fd00:ec2::23. Any other host must
    /// be https, or a redirect of DNS could hand the task's token to someone else.
    static func isAllowed(_ url: String) -> Bool {
        guard let endpoint = Endpoint(url: url) else { return false }
        if endpoint.scheme == "https" { return true }
        let host = endpoint.host.lowercased().trimmingScalars { $0 == "[" || $0 == "]" }
        if ["localhost", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"].contains(host) { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    public func credentials() async throws -> Credentials {
        guard Self.isAllowed(url) else {
            throw CredentialError.containerEndpoint(
                "\(url) is not allowed: use https, or http to loopback or the ECS/EKS link-local address, as the AWS SDKs require")
        }
        var headers = HTTPHeaders()
        if let file = authorizationTokenFile {
            // The file is rotated by the agent, so it is read on every fetch.
            guard let token = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CredentialError.containerEndpoint("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file)")
            }
            headers.add(name: "Authorization", value: token.trimmingSpacesAndNewlines())
        } else if let token = authorizationToken {
            headers.add(name: "Authorization", value: token)
        }
        let request = try HTTPClient.Request(method: .GET, url: url, headers: headers)
        var lastError = "no attempt made"
        for attempt in 0..<3 {
            if attempt > 0 { try await Self.backoff.wait(afterFailures: attempt) }
            do {
                let response = try await httpClient.execute(request, timeout: timeout, maxBodyBytes: 64 * 1024)
                guard response.status == 200 else {
                    lastError = "HTTP \(response.status)"
                    if response.status < 500 { break }
                    continue
                }
                return try Self.decode(Data(buffer: response.body))
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
        var expiration: Date?
        if let text = body.Expiration {
            // Fractional seconds are common; an expiry read as "none" would keep the keys forever.
            guard let date = RFC3339.parse(text) else {
                throw CredentialError.invalidResponse(source: source, reason: "Expiration '\(text)' is not an RFC 3339 timestamp")
            }
            expiration = date
        }
        return Credentials(accessKeyId: key, secretAccessKey: secret, sessionToken: body.Token, expiration: expiration)
    }
}
