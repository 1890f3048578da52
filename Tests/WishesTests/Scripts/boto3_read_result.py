"""Reads an attempt's result.json from S3 with boto3 (the interop referee for what CountToThree wrote)."""
import json
import sys

import boto3

request = json.load(open(sys.argv[1]))
s3 = boto3.client("s3", endpoint_url=request["endpoint"], region_name="us-east-1",
                  aws_access_key_id="local", aws_secret_access_key="local-secret")
result = json.loads(s3.get_object(Bucket=request["bucket"], Key=request["key"])["Body"].read())
json.dump({"outcome": result["outcome"], "message": result.get("message", "")}, open(sys.argv[2], "w"))
