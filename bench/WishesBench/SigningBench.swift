import Foundation
import Wishes
import WishesAWS

/// SigV4 signatures per second for the request the dispatcher sends most: an SQS call with a JSON body.
///
/// Each signature hashes the body and signs the headers, the work every SDK does per request, and is
/// the same request `peers/sign_botocore.py` signs with botocore, so the two rates compare. The body
/// is bytes and the host comes from the URL, as `AWSClient` hands them to the signer.
struct SigningBench {
    static let body = [UInt8](
        #"{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/wishes","MessageBody":"{\"id\":\"01JD5Z8Q7W3M2K4N6P8R0T2V4X\",\"attempt\":1,\"spec\":{\"command\":[\"sh\",\"-c\",\"echo hello\"],\"vcpus\":0.25,\"memoryMiB\":512}}","DelaySeconds":0}"#
            .utf8)

    var seconds: Double

    func run() -> BenchFigure {
        let signer = SigV4Signer(service: "sqs", region: "us-east-1")
        let credentials = Credentials(
            accessKeyId: "AKIDEXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
        )
        let template = SignableRequest(
            method: "POST",
            host: "sqs.us-east-1.amazonaws.com",
            path: "/",
            headers: [
                .init("Content-Type", "application/x-amz-json-1.0"),
                .init("X-Amz-Target", "AmazonSQS.SendMessage"),
                .init("Content-Length", String(Self.body.count)),
            ]
        )
        var count = 0
        var checksum = 0
        let start = ContinuousClock.now
        let limit = Duration.milliseconds(Int(seconds * 1000))
        while ContinuousClock.now - start < limit {
            for _ in 0..<200 {
                var request = template
                let payloadHash = SigV4Signer.payloadHash(of: Self.body)
                let signature = signer.sign(&request, payloadHash: payloadHash, credentials: credentials, date: Date())
                checksum &+= signature.signature.utf8.count
                count += 1
            }
        }
        let elapsed = ContinuousClock.now - start
        precondition(checksum == count * 64, "every signature is 64 hex digits")
        return BenchFigure(name: "signing", unit: "signatures/s", value: Double(count) / elapsed.seconds)
    }
}
