"""Reads an attempt's result.json from S3 with boto3 (the interop referee for what CountToThree wrote)."""
import json
import sys

import boto3

request = json.load(open(sys.argv[1]))
# The credentials (temporary, with a session token) come from the environment, as boto3 reads them.
s3 = boto3.client("s3", endpoint_url=request["endpoint"], region_name="us-east-1")
result = json.loads(s3.get_object(Bucket=request["bucket"], Key=request["key"])["Body"].read())
json.dump({"outcome": result["outcome"], "message": result.get("message", "")}, open(sys.argv[2], "w"))
