"""SigV4 signatures per second with botocore, for the same request WishesBench signs.

botocore's SigV4Auth.add_auth is what every boto3 call runs per request: it hashes the body and
signs the headers. Prints one JSON line like WishesBench: {"name", "unit", "value"}.
"""
import json
import sys
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

BODY = (
    '{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/wishes","MessageBody":"{\\"id\\":'
    '\\"01JD5Z8Q7W3M2K4N6P8R0T2V4X\\",\\"attempt\\":1,\\"spec\\":{\\"command\\":[\\"sh\\",\\"-c\\",'
    '\\"echo hello\\"],\\"vcpus\\":0.25,\\"memoryMiB\\":512}}","DelaySeconds":0}'
).encode()


def main() -> None:
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 3.0
    credentials = Credentials(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
    )
    signer = SigV4Auth(credentials, "sqs", "us-east-1")
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            request = AWSRequest(method="POST", url="https://sqs.us-east-1.amazonaws.com/", data=BODY)
            request.headers["Content-Type"] = "application/x-amz-json-1.0"
            request.headers["X-Amz-Target"] = "AmazonSQS.SendMessage"
            request.headers["Content-Length"] = str(len(BODY))
            signer.add_auth(request)
            assert len(request.headers["Authorization"]) > 64
            count += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({"name": "signing", "unit": "signatures/s", "value": count / elapsed}, sort_keys=True))


if __name__ == "__main__":
    main()
