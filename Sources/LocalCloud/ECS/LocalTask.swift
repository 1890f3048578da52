import Foundation
import Wishes
import WishesAWS

/// One task of the Fargate stand-in, kept as ECS describes it.
struct LocalTask: Sendable {
    var id: String
    var arn: String
    var clusterArn: String
    var taskDefinitionArn: String
    var lastStatus = "PROVISIONING"
    var desiredStatus = "RUNNING"
    var startedBy: String?
    var group: String?
    var capacityProvider: String
    /// CPU units, as ECS writes a task's size: 1,024 are one vCPU.
    var cpu: String
    var memory: String
    var overrides: ECS.TaskOverride?
    var tags: [ECS.Tag]
    var containerName: String
    var createdAt = Date()
    var startedAt: Date?
    var stoppedAt: Date?
    var exitCode: Int?
    var stopCode: String?
    var stoppedReason: String?

    /// The vCPUs the task's size buys; Fargate's smallest, a quarter, for a size it does not state.
    var vcpus: Double { (Double(cpu) ?? 256) / 1024 }

    var ecsTask: ECS.Task {
        var task = ECS.Task(taskArn: arn, lastStatus: lastStatus)
        task.clusterArn = clusterArn
        task.taskDefinitionArn = taskDefinitionArn
        task.desiredStatus = desiredStatus
        task.stopCode = stopCode
        task.stoppedReason = stoppedReason
        task.containers = [ECS.Container(name: containerName, exitCode: exitCode, lastStatus: lastStatus)]
        task.startedBy = startedBy
        task.group = group
        task.capacityProviderName = capacityProvider
        task.launchType = "FARGATE"
        task.cpu = cpu
        task.memory = memory
        task.overrides = overrides
        task.tags = tags
        task.createdAt = createdAt.timeIntervalSince1970
        task.startedAt = startedAt?.timeIntervalSince1970
        task.stoppedAt = stoppedAt?.timeIntervalSince1970
        return task
    }

    /// The `detail` of the "ECS Task State Change" event, in the type the dispatcher decodes it as.
    var eventDetail: TaskStateChange {
        TaskStateChange(
            taskArn: arn, clusterArn: clusterArn, taskDefinitionArn: taskDefinitionArn, lastStatus: lastStatus, desiredStatus: desiredStatus,
            launchType: "FARGATE", capacityProviderName: capacityProvider, cpu: cpu, memory: memory, createdAt: RFC3339.format(createdAt),
            startedBy: startedBy, group: group, stopCode: stopCode, stoppedReason: stoppedReason, startedAt: startedAt.map(RFC3339.format),
            stoppedAt: stoppedAt.map(RFC3339.format), containers: [.init(name: containerName, exitCode: exitCode, lastStatus: lastStatus, taskArn: arn)],
            overrides: overrides.map(TaskStateChange.Overrides.init))
    }
}
