"""boto3 as the other side of interop: reads what our client wrote, writes what ours must read.

argv[1] holds {"mode": "read"|"write", "bucket", "queueUrl", "keys"}; argv[2] receives the result.
"""
import json
import sys

import boto3

request = json.load(open(sys.argv[1]))
s3 = boto3.client("s3")
sqs = boto3.client("sqs")
result = {}
if request["mode"] == "read":
    result["objects"] = {}
    for key in request["keys"]:
        obj = s3.get_object(Bucket=request["bucket"], Key=key)
        result["objects"][key] = {
            "body": obj["Body"].read().decode("utf-8"),
            "contentType": obj["ContentType"],
            "metadata": obj["Metadata"],
        }
    listed = s3.list_objects_v2(Bucket=request["bucket"])
    result["listed"] = [item["Key"] for item in listed.get("Contents", [])]
    messages = sqs.receive_message(
        QueueUrl=request["queueUrl"], MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
    ).get("Messages", [])
    result["messages"] = [
        {"body": m["Body"], "attributes": {k: v.get("StringValue") for k, v in m.get("MessageAttributes", {}).items()}}
        for m in messages
    ]
else:
    for key in request["keys"]:
        s3.put_object(Bucket=request["bucket"], Key=key, Body=f"boto3 wrote {key}".encode(), ContentType="text/x-boto3", Metadata={"writer": "boto3"})
    sqs.send_message(
        QueueUrl=request["queueUrl"], MessageBody="from boto3 ✨",
        MessageAttributes={"writer": {"DataType": "String", "StringValue": "boto3"}},
    )
json.dump(result, open(sys.argv[2], "w"))
