import Crypto
import Logging
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Signs, sends and retries calls to AWS over one pooled HTTP client.
///
/// Every call has a timeout; failures come back as `AWSClientError`. The service clients (SQS, S3,
/// ECS) build requests and read answers; this type owns everything they share.
public struct AWSClient: Sendable {
    public let configuration: AWSConfiguration
    public let httpClient: HTTPClient
    public let credentialProvider: any CredentialProvider
    public var retry: RetryPolicy
    /// The limit of one attempt when the request names none.
    public var timeout: Duration
    /// The largest response body accepted; larger ones fail rather than fill memory.
    public var maxResponseBytes: Int
    public var logger: Logger
    let clock: any WallClock

    public init(
        configuration: AWSConfiguration,
        httpClient: HTTPClient,
        credentialProvider: any CredentialProvider,
        retry: RetryPolicy = .standard,
        timeout: Duration = .seconds(15),
        maxResponseBytes: Int = 64 << 20,
        logger: Logger = Logger(label: "wishes.aws"),
        clock: any WallClock = SystemClock()
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.credentialProvider = credentialProvider
        self.retry = retry
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.logger = logger
        self.clock = clock
    }

    /// An HTTP client configured as the AWS SDKs configure theirs: pooled keep-alive connections,
    /// a connect timeout, no redirects. `caBundle` is a PEM file of trusted roots for images whose
    /// own trust store is missing or elsewhere (busybox, scratch).
    public static func makeHTTPClient(maxConnectionsPerHost: Int = 32, caBundle: String? = nil) -> HTTPClient {
        HTTPClient(configuration: .init(connectTimeout: .seconds(5), maxConnectionsPerHost: maxConnectionsPerHost, caBundle: caBundle))
    }

    /// When set, no call (with its retries) waits past it: a Lambda handler sets its invocation's
    /// deadline, so a slow call fails in time for the handler to answer.
    @TaskLocal package static var deadline: ContinuousClock.Instant?

    /// Sends `request`, retrying what the standard mode retries. Returns only 2xx answers.
    public func send(_ request: AWSRequest) async throws(AWSClientError) -> AWSResponse {
        var attempt = 1
        var retryCost: Int?
        var refreshedExpired = false
        var uncertain = false
        while true {
            let failure: AWSClientError
            var wasTimeout = false
            do {
                let response = try await sendOnce(request)
                // A 3xx is no success: S3 answers 301 for a bucket in another region, and
                // redirects are not followed (the SDKs sign for one host and one region).
                if response.status < 300 {
                    retry.quota.release(retryCost ?? 1)
                    return response
                }
                var serviceError = AWSErrorParser.parse(response, service: request.service, operation: request.operation)
                serviceError.followsUncertainAttempt = uncertain
                failure = .service(serviceError)
            } catch {
                failure = error
                if case .timeout = error { wasTimeout = true }
            }
            // Keys that AWS calls expired before their stated expiry (clock skew, a revoked session):
            // fetch new ones and try once more, as the SDKs do, without spending the retry quota.
            if !refreshedExpired, let code = failure.serviceError?.errorCode, Self.expiredTokenCodes.contains(code) {
                refreshedExpired = true
                credentialProvider.invalidate()
                logger.debug("credentials expired; refreshing", metadata: ["service": "\(request.service.rawValue)", "code": "\(code)"])
                continue
            }
            guard attempt < retry.maxAttempts, Self.isRetryable(failure),
                let cost = retry.quota.acquire(timeout: wasTimeout)
            else {
                throw failure
            }
            retryCost = cost
            switch failure {
            case .timeout, .transport: uncertain = true
            case .service(let error) where error.statusCode >= 500: uncertain = true
            default: break
            }
            let delay = retry.delay(beforeAttempt: attempt)
            if let deadline = Self.deadline, ContinuousClock.now + delay >= deadline { throw failure }
            logger.debug(
                "retrying AWS call",
                metadata: [
                    "service": "\(request.service.rawValue)", "operation": "\(request.operation)",
                    "attempt": "\(attempt + 1)", "error": "\(failure)",
                ])
            try? await Task.sleep(for: delay)
            attempt += 1
        }
    }

    static let expiredTokenCodes: Set<AWSErrorCode> = [.expiredToken, .expiredTokenException]

    package static func isRetryable(_ error: AWSClientError) -> Bool {
        switch error {
        case .service(let serviceError): serviceError.isThrottling || serviceError.isTransient
        case .transport, .timeout: true
        case .invalidResponse, .credentials: false
        }
    }

    func sendOnce(_ request: AWSRequest) async throws(AWSClientError) -> AWSResponse {
        let credentials: Credentials
        do {
            credentials = try await credentialProvider.credentials()
        } catch let error as CredentialError {
            throw .credentials(error)
        } catch {
            throw .credentials(.invalidResponse(source: "the credential provider", reason: "\(error)"))
        }
        var endpoint = configuration.endpoint(for: request.service)
        if let prefix = request.hostPrefix { endpoint = endpoint.withHost(prefix + endpoint.host) }
        var signable = SignableRequest(
            method: request.method,
            host: endpoint.hostHeader,
            path: endpoint.basePath + request.path,
            query: request.query,
            headers: request.headers
        )
        let payloadHash = SigV4Signer.payloadHash(of: request.body)
        if request.service == .s3 { signable.setHeader("x-amz-content-sha256", payloadHash) }
        let signer = SigV4Signer(service: request.service.signingName, region: configuration.region)
        signer.sign(&signable, payloadHash: payloadHash, credentials: credentials, date: clock.now)

        let query = signable.queryString
        var headers = HTTPHeaders()
        for header in signable.headers { headers.add(name: header.name, value: header.value) }
        headers.replaceOrAdd(name: "User-Agent", value: "wishes/1.0")
        var limit = request.timeout ?? timeout
        if let deadline = Self.deadline {
            let left = deadline - .now
            guard left > .zero else { throw .timeout(service: request.service, operation: request.operation, seconds: 0) }
            limit = min(limit, left)
        }
        do {
            let http = try HTTPClient.Request(
                method: HTTPMethod(rawValue: request.method),
                url: "\(endpoint.scheme)://\(endpoint.hostHeader)\(signable.path)\(query.isEmpty ? "" : "?" + query)",
                headers: headers, body: request.body)
            let response = try await httpClient.execute(http, timeout: limit, maxBodyBytes: maxResponseBytes)
            return AWSResponse(
                status: response.status,
                headers: response.headers.map { ($0.name, $0.value) },
                body: Array(buffer: response.body)
            )
        } catch  where error.isTimeout {
            throw .timeout(service: request.service, operation: request.operation, seconds: limit.seconds)
        } catch .bodyTooLarge {
            throw .invalidResponse(service: request.service, operation: request.operation, reason: "body larger than \(maxResponseBytes) bytes")
        } catch {
            throw .transport(service: request.service, operation: request.operation, reason: "\(error)")
        }
    }
}
