import CWishesSystem
import WishesAWS

/// What a wish's command may see of the task it runs in: nothing of the control plane.
///
/// The task's environment carries the task role's credentials endpoint and token, the metadata
/// endpoint and the dispatcher's settings; with them a command could read every other wish's
/// secrets, rewrite their specs or forge a result. The command gets the wish's own variables,
/// Batch's, the region and a plain `PATH`, and none of the task's AWS credentials: a wish with a job
/// role gets that role's keys from an endpoint of its own (`JobCredentialsServer`), one without has none.
public enum CommandEnvironment {
    /// Names taken out whatever their value: credential sources the SDKs read, ECS's endpoints.
    static let removed: Set<String> = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED",
        "ECS_CONTAINER_METADATA_URI", "ECS_CONTAINER_METADATA_URI_V4", "ECS_AGENT_URI",
    ]

    /// Prefixes taken out: the dispatcher's and the task's own settings, custom AWS endpoints.
    static let removedPrefixes = ["WISHES_", "AWS_ENDPOINT_URL", "ECS_CONTAINER_METADATA"]

    /// The task's environment without what belongs to the control plane.
    public static func forCommand(from task: [String: String]) -> [String: String] {
        task.filter { name, _ in !removed.contains(name) && !removedPrefixes.contains { name.hasPrefix($0) } }
    }

    /// Makes this process non-dumpable: a command running as the same user can then neither read
    /// `/proc/<this pid>/environ` (where the credentials endpoint's token is) nor ptrace it.
    /// Returns false when the kernel refused.
    @discardableResult
    public static func hideThisProcess() -> Bool {
        wishes_set_non_dumpable() == 0 && wishes_is_dumpable() == 0
    }
}
