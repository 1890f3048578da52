import Foundation
import Wishes
import WishesAWS

/// The command line of `LocalCloud`.
struct LocalCloudOptions: Sendable {
    var webPort = 8080
    var instances = 3
    var functionTimeout = 60
    /// MakeAWish's `MemorySize` in the template, and so its share of the CPU (`CPUShare`).
    var functionMemoryMB = DeployedNames.functionMemoryMB
    var countInterval = "1"
    var spotInterruptionRate = 0.0
    var spotUnavailableRate = 0.0
    var maxRunning = 64
    var stoppedRetention = 3600.0
    var awsFaultRate = 0.0
    var awsLatency = AWSLatency()
    var killRuntimeRate = 0.0
    var launchBurst = 100.0
    var launchRate = 20.0
    var scheduleSeconds = 60
    var stateFile: String?
    var web = true
    var bucket = "wishes-local"
    /// What a task runs instead of CountToThree (benchmarks launch thousands of `/bin/true`).
    var taskExecutable: String?
    /// Deliver no ECS task events to the function (benchmarks measure launching alone).
    var taskEvents = true
    /// Loss, duplicates and reordering of EventBridge's deliveries, at a rate each.
    var eventFaults = EventBus.Faults()

    static let usage = """
        LocalCloud: the whole of Wishes on this machine (moto for SQS and S3, a Lambda Runtime API, a Fargate stand-in).
        LocalCloud runtime-api --help: the Runtime API alone, for one bootstrap.
        Options:
          --port N                  the web front's port (8080)
          --instances N             MakeAWish environments (3)
          --function-memory MB      MakeAWish's memory size, 128 to 10240 (128, as the template): each environment
                                    gets MB / 1769 of a vCPU, as Lambda gives (needs root for a cpu cgroup)
          --count-interval S        seconds between counts in CountToThree (1)
          --spot-interruption-rate P  chance that a Spot task is interrupted (0)
          --spot-unavailable-rate P chance that a FARGATE_SPOT launch is refused for capacity (0)
          --max-running N           tasks the local Fargate runs at once; more are refused RESOURCE:CPU (64)
          --stopped-retention S     seconds a stopped task stays listed and described, then MISSING (3600, as ECS)
          --aws-fault-rate P        share of S3, SQS and ECS calls that fail: refused with a 5xx or throttling, or
                                    carried out and then answered with a 5xx (0)
          --aws-latency s3=MS,sqs=MS,ecs=MS,runtask=MS  hold each call of that service so long before it is
                                    answered, as AWS takes (none; s3=15,sqs=10,ecs=10,runtask=40 is AWS-like)
          --kill-runtime-rate P     chance that a function environment is killed in the middle of an invocation (0)
          --launch-burst N --launch-rate R  Fargate's launch bucket (100, 20 per second)
          --schedule-seconds N      the sweep's period (60)
          --state-file PATH         write the endpoints, the web's token and tools' credentials as JSON here once up
          --no-web                  do not start the web front
          --task-executable PATH    what tasks run instead of CountToThree (for benchmarks)
          --no-task-events          deliver no ECS task state events to the function (for benchmarks)
          --drop-task-events P      chance that EventBridge loses a task state event (0)
          --duplicate-events P      chance that EventBridge delivers an event twice (0)
          --reorder-events P        chance that an event is held back up to 3 s, so later ones overtake it (0)
        Lambda's asynchronous retries (two, after 1 and 2 minutes) and the template's event patterns always apply.
        The web always requires a token: WISHES_API_TOKEN when set, else a new random one, printed in a sign-in
        link (http://127.0.0.1:PORT/login?token=...) and kept in the state file as "apiToken". The pages take the
        link's cookie or basic auth; the API only Authorization: Bearer <token>.
        WISHES_WEB_ALLOWED_HOSTS adds names the web answers to (loopback ones always are);
        WISHES_DEFAULT_TIMEOUT_SECONDS, WISHES_MAX_TIMEOUT_SECONDS, WISHES_MAX_ARRAY_VCPUS and WISHES_QUEUE_MAX_VCPUS
        (default=8,asap=4: vCPUs a queue's tasks may hold at once) set the stack's limits.
        WISHES_JOB_ROLE_ARNS sets the job roles a wish may name; with moto, its example role wishes-local-job
        (arn:aws:iam::123456789012:role/wishes-local-job: sts:GetCallerIdentity and s3:ListAllMyBuckets) is the default.
        With AWS_ENDPOINT_URL and credentials set, that endpoint is used for SQS and S3 and no moto is started.
        """

    static func parse(_ arguments: [String]) throws -> LocalCloudOptions {
        var options = LocalCloudOptions()
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        func number<T: LosslessStringConvertible>(_ flag: String, _ type: T.Type) throws -> T {
            let text = try value(flag)
            guard let parsed = T(text) else { throw UsageError("\(flag) needs a number, not '\(text)'") }
            return parsed
        }
        func rate(_ flag: String) throws -> Double {
            let value = try number(flag, Double.self)
            guard (0...1).contains(value) else { throw UsageError("\(flag) is a chance from 0 to 1, not \(value)") }
            return value
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--port": options.webPort = try number(flag, Int.self)
            case "--instances": options.instances = try number(flag, Int.self)
            case "--count-interval": options.countInterval = String(try number(flag, Double.self))
            case "--spot-interruption-rate": options.spotInterruptionRate = try number(flag, Double.self)
            case "--spot-unavailable-rate": options.spotUnavailableRate = try rate(flag)
            case "--max-running": options.maxRunning = try number(flag, Int.self)
            case "--stopped-retention": options.stoppedRetention = try number(flag, Double.self)
            case "--aws-fault-rate": options.awsFaultRate = try rate(flag)
            case "--aws-latency": options.awsLatency = try AWSLatency(parsing: value(flag))
            case "--kill-runtime-rate": options.killRuntimeRate = try rate(flag)
            case "--launch-burst": options.launchBurst = try number(flag, Double.self)
            case "--launch-rate": options.launchRate = try number(flag, Double.self)
            case "--schedule-seconds": options.scheduleSeconds = try number(flag, Int.self)
            case "--function-timeout": options.functionTimeout = try number(flag, Int.self)
            case "--function-memory": options.functionMemoryMB = try CPUShare.lambdaMemory(value(flag), flag: flag)
            case "--state-file": options.stateFile = try value(flag)
            case "--no-web": options.web = false
            case "--task-executable": options.taskExecutable = try value(flag)
            case "--no-task-events": options.taskEvents = false
            case "--drop-task-events": options.eventFaults.dropTaskEvents = try rate(flag)
            case "--duplicate-events": options.eventFaults.duplicateEvents = try rate(flag)
            case "--reorder-events": options.eventFaults.reorderEvents = try rate(flag)
            case "--help", "-h": throw UsageError(nil)
            default: throw UsageError("unknown option \(flag)")
            }
        }
        return options
    }
}

struct UsageError: Error, CustomStringConvertible {
    let problem: String?
    let usage: String
    init(_ problem: String?, usage: String = LocalCloudOptions.usage) {
        self.problem = problem
        self.usage = usage
    }
    var description: String { (problem.map { "\($0)\n\n" } ?? "") + usage }
}
