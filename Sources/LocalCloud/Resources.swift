import Foundation
import Logging
import Wishes
import WishesAWS

/// The queues and the bucket, created as the CloudFormation template creates them.
struct Resources {
    var queueURL: String
    var asapQueueURL: String
    /// The two queues' dead-letter queues, and the task events' on-failure destination: the function reads all three.
    var deadLetterQueueURLs: [String: String]
    var failedEventsQueueURL: String
    /// The key callbacks are signed with, as the stack's `CallbackSigningSecret`.
    var callbackSecretARN: String

    static func createBucket(_ s3: S3Client, _ bucket: String) async throws(AWSClientError) {
        do {
            try await s3.createBucket(bucket)
        } catch  where error.isCode(.bucketAlreadyOwnedByYou) {}
    }

    static func create(aws: AWSClients, bucket: String, functionTimeout: Int, logger: Logger) async throws -> Resources {
        try await createBucket(aws.s3, bucket)
        var deadLetters: [String: String] = [:]
        func queue(_ name: String) async throws -> String {
            let dlq = try await aws.sqs.createQueue(
                name: name + DeployedNames.deadLetterSuffix,
                attributes: ["MessageRetentionPeriod": "1209600", "VisibilityTimeout": String(6 * functionTimeout)])
            deadLetters[name + DeployedNames.deadLetterSuffix] = dlq
            let dlqARN = try await aws.sqs.getQueueAttributes(url: dlq, names: ["QueueArn"])["QueueArn"] ?? ""
            let redrive = "{\"deadLetterTargetArn\":\"\(dlqARN)\",\"maxReceiveCount\":\"\(DeployedNames.maxReceiveCount)\"}"
            return try await aws.sqs.createQueue(name: name, attributes: ["VisibilityTimeout": String(6 * functionTimeout), "RedrivePolicy": redrive])
        }
        let secret = try await aws.secretsManager.createSecret(name: DeployedNames.callbackSecret, value: LocalCloud.newToken())
        let failedEvents = try await aws.sqs.createQueue(
            name: DeployedNames.failedEventsQueue,
            attributes: ["MessageRetentionPeriod": "1209600", "VisibilityTimeout": String(6 * functionTimeout)])
        let queueURL = try await queue(DeployedNames.queue)
        let asapQueueURL = try await queue(DeployedNames.asapQueue)
        let resources = Resources(
            queueURL: queueURL, asapQueueURL: asapQueueURL, deadLetterQueueURLs: deadLetters,
            failedEventsQueueURL: failedEvents, callbackSecretARN: secret)
        logger.info("queues and bucket ready", metadata: ["queue": "\(resources.queueURL)", "asapQueue": "\(resources.asapQueueURL)", "bucket": "\(bucket)"])
        return resources
    }
}
