/// Region and endpoints, read from the environment the way every AWS SDK reads them:
/// `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`.
public struct AWSConfiguration: Sendable, Equatable {
    public var region: String
    var customEndpoints: [AWSService: Endpoint]

    public init(region: String, endpoints: [AWSService: Endpoint] = [:]) {
        self.region = region
        self.customEndpoints = endpoints
    }

    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case missingRegion
        case invalidRegion(String)
        case invalidEndpoint(variable: String, value: String)

        public var description: String {
            switch self {
            case .missingRegion:
                "no AWS region: set AWS_REGION (for example AWS_REGION=us-east-1)"
            case .invalidRegion(let region):
                "AWS region '\(region)' is not a region name (expected something like us-east-1)"
            case .invalidEndpoint(let variable, let value):
                "\(variable)='\(value)' is not an http(s) URL"
            }
        }
    }

    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> AWSConfiguration {
        guard let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"], !region.isEmpty else {
            throw .missingRegion
        }
        guard region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw .invalidRegion(region)
        }
        var endpoints: [AWSService: Endpoint] = [:]
        let ignore = environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
        for service in AWSService.allCases where !ignore {
            let specific = "AWS_ENDPOINT_URL_\(service.environmentID)"
            let (variable, value) =
                environment[specific].map { (specific, $0) }
                ?? environment["AWS_ENDPOINT_URL"].map { ("AWS_ENDPOINT_URL", $0) } ?? ("", "")
            guard !value.isEmpty else { continue }
            guard let endpoint = Endpoint(url: value) else { throw .invalidEndpoint(variable: variable, value: value) }
            endpoints[service] = endpoint
        }
        return AWSConfiguration(region: region, endpoints: endpoints)
    }

    /// The endpoint for `service`: the configured one, or AWS's regional one.
    public func endpoint(for service: AWSService) -> Endpoint {
        if let custom = customEndpoints[service] { return custom }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return Endpoint(scheme: "https", host: "\(service.rawValue).\(region).\(suffix)", isAWS: true)
    }
}
