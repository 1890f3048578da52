"""Runs the README's callback verification snippet, as a receiver would copy it, on callbacks that
the local cloud really sent, with the secret read from its Secrets Manager by boto3.

argv[1]: JSON {"secretArn", "requests": [{"headers", "body"}]}; argv[2]: where to write
{"verified": [bool, ...], "tampered": [bool, ...]}. boto3 reads the endpoint and keys from the environment.
"""
import json
import pathlib
import re
import sys

import boto3

readme = (pathlib.Path(__file__).resolve().parents[3] / "README.md").read_text()
snippet = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
namespace = {}
exec(snippet, namespace)
verify = namespace["verify"]

given = json.load(open(sys.argv[1]))
secret = boto3.client("secretsmanager").get_secret_value(SecretId=given["secretArn"])["SecretString"]
verified, tampered = [], []
for request in given["requests"]:
    headers = {name.lower(): value for name, value in request["headers"].items()}
    body = request["body"].encode()
    verified.append(verify(secret, headers, body))
    tampered.append(verify(secret, headers, body.replace(b"SUCCEEDED", b"FAILED")))
json.dump({"verified": verified, "tampered": tampered}, open(sys.argv[2], "w"))
