/// How long the local cloud holds each AWS call before answering it (`--aws-latency`).
///
/// Loopback answers in well under a millisecond, AWS in tens of them; what Lambda bills a function
/// for is mostly that wait, and only a cloud that makes callers wait shows whether they wait in
/// sequence or in parallel.
struct AWSLatency: Sendable, Equatable {
    var s3: Duration = .zero
    var sqs: Duration = .zero
    /// Every ECS call but RunTask.
    var ecs: Duration = .zero
    /// RunTask places the task before it answers, and takes longer than the other ECS calls.
    var runTask: Duration = .zero

    /// `s3=15,sqs=10,ecs=10,runtask=40`, in milliseconds; a service not named is not held.
    init(parsing text: String) throws(UsageError) {
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let millis = Double(pair[1]), millis >= 0, millis <= 60_000 else {
                throw UsageError("--aws-latency takes s3=MS,sqs=MS,ecs=MS,runtask=MS (0 to 60000 milliseconds each), not '\(part)'")
            }
            let held = Duration.microseconds(Int64(millis * 1000))
            switch pair[0] {
            case "s3": s3 = held
            case "sqs": sqs = held
            case "ecs": ecs = held
            case "runtask": runTask = held
            default: throw UsageError("--aws-latency names s3, sqs, ecs and runtask, not '\(pair[0])'")
            }
        }
    }

    init() {}

    /// What moto's launcher takes (`--latency s3=MS,sqs=MS`).
    var motoArgument: String {
        "s3=\(Self.millis(s3)),sqs=\(Self.millis(sqs))"
    }

    private static func millis(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}
