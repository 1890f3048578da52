/// ECS over AWS JSON 1.1: the calls that start, watch and stop Fargate tasks, and register the
/// task definitions they run from.
public struct ECSClient: Sendable {
    public let client: AWSClient
    let json = AWSJSONProtocol(service: .ecs, targetPrefix: "AmazonEC2ContainerServiceV20141113", contentType: "application/x-amz-json-1.1")

    public init(client: AWSClient) {
        self.client = client
    }

    /// The request exactly as it would be sent, for checking it against the service model.
    public func request(_ operation: String, _ input: some Encodable) throws(AWSClientError) -> AWSRequest {
        try json.request(operation, input)
    }

    /// Starts tasks. ECS reports capacity and placement problems in `failures`, not as an error.
    public func runTask(_ input: ECS.RunTaskInput) async throws(AWSClientError) -> ECS.RunTaskOutput {
        if let token = input.clientToken, token.isEmpty || token.count > 64 {
            throw .service(
                AWSServiceError(
                    service: .ecs, operation: "RunTask", code: "InvalidParameterException",
                    message: "clientToken must be 1 to 64 characters, not \(token.count)", statusCode: 400))
        }
        return try await json.call(client, "RunTask", input)
    }

    /// Describes up to 100 tasks, with their tags.
    public func describeTasks(cluster: String?, tasks: [String]) async throws(AWSClientError) -> ECS.TasksOutput {
        struct Input: Encodable {
            var cluster: String?
            var tasks: [String]
            var include = ["TAGS"]
        }
        return try await json.call(client, "DescribeTasks", Input(cluster: cluster, tasks: tasks))
    }

    /// Stops a task; `reason` shows as its `stoppedReason`.
    @discardableResult
    public func stopTask(cluster: String?, task: String, reason: String?) async throws(AWSClientError) -> ECS.Task? {
        struct Input: Encodable {
            var cluster: String?
            var task: String
            var reason: String?
        }
        struct Output: Decodable { var task: ECS.Task? }
        return try await json.call(client, "StopTask", Input(cluster: cluster, task: task, reason: reason.map { String($0.prefix(255)) }), as: Output.self).task
    }

    /// The definition `name` names: a family (its latest ACTIVE revision), `family:revision` or an ARN.
    public func describeTaskDefinition(_ name: String) async throws(AWSClientError) -> ECS.TaskDefinition {
        struct Input: Encodable { var taskDefinition: String }
        struct Output: Decodable { var taskDefinition: ECS.TaskDefinition }
        return try await json.call(client, "DescribeTaskDefinition", Input(taskDefinition: name), as: Output.self).taskDefinition
    }

    /// Registers the next revision of `input.family`. ECS limits this call to about one a second
    /// per account, so callers register once and keep the ARN.
    public func registerTaskDefinition(_ input: ECS.TaskDefinition) async throws(AWSClientError) -> ECS.TaskDefinition {
        struct Output: Decodable { var taskDefinition: ECS.TaskDefinition }
        return try await json.call(client, "RegisterTaskDefinition", input.registration(), as: Output.self).taskDefinition
    }

    public func listTasks(_ input: ECS.ListTasksInput) async throws(AWSClientError) -> ECS.ListTasksOutput {
        try await json.call(client, "ListTasks", input)
    }
}
