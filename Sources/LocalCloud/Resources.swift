import Foundation
import Logging
import Wishes

/// The queues and the bucket, created as the CloudFormation template creates them.
struct Resources {
    var queueURL: String
    var asapQueueURL: String
    /// The key callbacks are signed with, as the stack's `CallbackSigningSecret`.
    var callbackSecretARN: String

    static func createBucket(_ s3: S3Client, _ bucket: String) async throws(AWSClientError) {
        do {
            try await s3.createBucket(bucket)
        } catch where error.isCode("BucketAlreadyOwnedByYou") {}
    }

    static func create(aws: AWSClients, bucket: String, functionTimeout: Int, logger: Logger) async throws -> Resources {
        try await createBucket(aws.s3, bucket)
        func queue(_ name: String) async throws -> String {
            let dlq = try await aws.sqs.createQueue(name: name + DeployedNames.deadLetterSuffix, attributes: ["MessageRetentionPeriod": "1209600"])
            let dlqARN = try await aws.sqs.getQueueAttributes(url: dlq, names: ["QueueArn"])["QueueArn"] ?? ""
            let redrive = "{\"deadLetterTargetArn\":\"\(dlqARN)\",\"maxReceiveCount\":\"\(DeployedNames.maxReceiveCount)\"}"
            return try await aws.sqs.createQueue(name: name, attributes: ["VisibilityTimeout": String(6 * functionTimeout), "RedrivePolicy": redrive])
        }
        let secret = try await aws.secretsManager.createSecret(name: DeployedNames.callbackSecret, value: LocalCloud.newToken())
        let resources = Resources(queueURL: try await queue(DeployedNames.queue), asapQueueURL: try await queue(DeployedNames.asapQueue),
                                  callbackSecretARN: secret)
        logger.info("queues and bucket ready", metadata: ["queue": "\(resources.queueURL)", "asapQueue": "\(resources.asapQueueURL)", "bucket": "\(bucket)"])
        return resources
    }
}
