"""The design Wishes grew from, as the benchmark's peer: a Python Lambda function with boto3 and a
Runtime API loop like awslambdaric's, doing per SQS record what MakeAWish does for a wish whose spec
the web stored: read spec and status, claim the attempt in S3 (If-None-Match), RunTask with a client
token, merge the status with the task (If-Match). Small and honest: no shortcuts MakeAWish lacks.

Environment: AWS_LAMBDA_RUNTIME_API, WISHES_BUCKET, WISHES_CLUSTER, WISHES_TASK_DEFINITION, and the
AWS SDK's own (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS, credentials, region).
"""
import json
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

API = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime"
BUCKET = os.environ["WISHES_BUCKET"]
CLUSTER = os.environ.get("WISHES_CLUSTER")
TASK_DEFINITION = os.environ["WISHES_TASK_DEFINITION"]
config = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=16)
s3 = boto3.client("s3", config=config)
sqs = boto3.client("sqs", config=config)
ecs = boto3.client("ecs", config=config)
pool = ThreadPoolExecutor(max_workers=10)


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def get_json(key):
    try:
        answer = s3.get_object(Bucket=BUCKET, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None, None
        raise
    return json.loads(answer["Body"].read()), answer["ETag"]


def merge_status(key, wish_id, attempt, seen):
    """Compare-and-swap from the status read before the claim (`seen`), reading again after a lost race."""
    for race in range(10):
        status, etag = seen if race == 0 else get_json(key)
        status = status or {"id": wish_id, "attempts": []}
        attempts = {a["number"]: a for a in status["attempts"]}
        attempts[attempt["number"]] = {**attempts.get(attempt["number"], {}), **attempt}
        status["attempts"] = sorted(attempts.values(), key=lambda a: a["number"])
        status["updatedAt"] = now()
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(status).encode(), ContentType="application/json", **condition)
            return
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
    raise RuntimeError("status merge kept losing races")


def launch(body):
    message = json.loads(body)
    wish_id, index, number = message["id"], message.get("arrayIndex"), message.get("attempt") or 1
    base = f"wishes/{wish_id}/" if index is None else f"wishes/{wish_id}/children/{index:05d}/"
    spec, _ = get_json(f"wishes/{wish_id}/spec.json")
    if spec is None:
        return
    status, status_etag = get_json(base + "status.json")
    if status and status.get("final"):
        return
    token = f"wish_{wish_id}_{'x' if index is None else index}_{number}"
    claim_key = base + f"attempts/{number}/claim"
    record = {"clientToken": token, "claimedAt": now()}
    try:
        s3.put_object(Bucket=BUCKET, Key=claim_key, Body=json.dumps(record).encode(), IfNoneMatch="*")
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise
        # Launched already if the status read above names the attempt's task (as MakeAWish decides).
        if any(a.get("number") == number and a.get("taskArn") for a in (status or {}).get("attempts", [])):
            return
    queue = spec.get("queue", "default")
    environment = [{"name": "WISH_ID", "value": wish_id}, {"name": "WISH_ATTEMPT", "value": str(number)},
                   {"name": "WISHES_BUCKET", "value": BUCKET}]
    output = ecs.run_task(
        cluster=CLUSTER, taskDefinition=TASK_DEFINITION, count=1, clientToken=token,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE" if "uninterruptible" in queue else "FARGATE_SPOT", "weight": 1}],
        overrides={"containerOverrides": [{"name": "count-to-three", "environment": environment}],
                   "cpu": str(int(spec.get("vcpus", 0.25) * 1024)), "memory": str(spec.get("memory", 512))},
        tags=[{"key": "wish-id", "value": wish_id}, {"key": "wish-attempt", "value": str(number)}]
        + ([{"key": "wish-timeout", "value": str(spec["timeoutSeconds"])}] if spec.get("timeoutSeconds") else []),
        startedBy=token, group=f"wishes:{queue}", enableECSManagedTags=True)
    if not output.get("tasks"):
        failure = (output.get("failures") or [{}])[0]
        raise RuntimeError(f"launch failed: {failure.get('reason')}")
    task_arn = output["tasks"][0]["taskArn"]
    merge_status(base + "status.json", wish_id, {"number": number, "state": "RUNNABLE", "taskArn": task_arn},
                 seen=(status, status_etag))


def handle(event):
    def one(record):
        try:
            launch(record["body"])
            return None
        except Exception:  # the record comes back, as MakeAWish's partial batch response does
            return record["messageId"]
    failed = [m for m in pool.map(one, event.get("Records", [])) if m]
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


def main():
    while True:
        with urllib.request.urlopen(f"{API}/invocation/next") as answer:
            request_id = answer.headers["Lambda-Runtime-Aws-Request-Id"]
            event = json.loads(answer.read())
        try:
            body, path = json.dumps(handle(event)).encode(), f"{API}/invocation/{request_id}/response"
        except Exception as error:
            body = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}).encode()
            path = f"{API}/invocation/{request_id}/error"
        urllib.request.urlopen(urllib.request.Request(path, data=body, method="POST")).read()


if __name__ == "__main__":
    main()
