"""Checks the strict moto (scripts/lib/moto_server.py) as a referee: the SDKs are accepted, forgeries refused.

argv[1] holds {"bucket", "queueUrl", "keys", "prefixes", "adminKey", "adminSecret", "roleArn", "cli"}; the environment carries the endpoint and
temporary credentials (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
argv[2] receives [{"case", "ok", "detail"}]: one entry per check, ok when the server did what AWS does.
"""
import datetime
import re
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions

request = json.load(open(sys.argv[1]))
bucket, queue_url, keys, prefixes = request["bucket"], request["queueUrl"], request["keys"], request["prefixes"]
endpoint = os.environ["AWS_ENDPOINT_URL"]
region = "us-east-1"
config = botocore.config.Config(retries={"total_max_attempts": 1})
credentials = botocore.credentials.Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                                               os.environ["AWS_SESSION_TOKEN"])
results = []


def check(case, passed, detail=""):
    results.append({"case": case, "ok": bool(passed), "detail": str(detail)[:500]})


def error_code(call):
    """The AWS error code `call` fails with, or None when it succeeds."""
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return None


def client(service, **keys):
    return boto3.session.Session(region_name=region, **keys).client(service, endpoint_url=endpoint, config=config)


s3 = client("s3")
sqs = client("sqs")

# boto3 with the hardest keys and prefixes: every one must be accepted and read back.
for key in keys:
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=f"boto3 {key}".encode())
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        s3.head_object(Bucket=bucket, Key=key)
        check(f"boto3 put/get/head {key!r}", body == f"boto3 {key}", body)
    except botocore.exceptions.ClientError as error:
        check(f"boto3 put/get/head {key!r}", False, error)
for prefix in prefixes:
    try:
        listed = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        expected = sorted(key for key in keys if key.startswith(prefix))
        check(f"boto3 ListObjectsV2 prefix {prefix!r}", sorted(listed) == expected, f"{listed} != {expected}")
        s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/", StartAfter=prefix + "~%+= é", MaxKeys=7)
        check(f"boto3 ListObjectsV2 prefix {prefix!r} with delimiter and start-after", True)
    except botocore.exceptions.ClientError as error:
        check(f"boto3 ListObjectsV2 prefix {prefix!r}", False, error)
try:
    sent = sqs.send_message(QueueUrl=queue_url, MessageBody="boto3 +~=% é 日本",
                            MessageAttributes={"k": {"DataType": "String", "StringValue": "v +~=%"}})
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1, MessageAttributeNames=["All"]).get("Messages", [])
    for message in received:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    check("boto3 SQS send/receive/delete", [m["Body"] for m in received] == ["boto3 +~=% é 日本"], received)
except botocore.exceptions.ClientError as error:
    check("boto3 SQS send/receive/delete", False, error)

# The aws CLI (its own botocore, its own process) with a hard key and a hard prefix; each call
# starts a Python and loads botocore's models, so the caller may leave it out.
cli_key = "cli/a+b ~c=d%e é/日本.txt"
with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
    file.write("from the CLI")
cli_env = dict(os.environ, AWS_DEFAULT_REGION=region, AWS_MAX_ATTEMPTS="1")
for case, command in [] if not request.get("cli", True) else [
    ("aws s3api put-object", ["s3api", "put-object", "--bucket", bucket, "--key", cli_key, "--body", file.name]),
    ("aws s3api list-objects-v2 --prefix", ["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "cli/a+b ~c=d%e é/"]),
    ("aws s3 cp (download)", ["s3", "cp", f"s3://{bucket}/{cli_key}", file.name + ".back"]),
    ("aws sqs send-message", ["sqs", "send-message", "--queue-url", queue_url, "--message-body", "cli +~=% é"]),
]:
    # --endpoint-url: CLI v1 sends SQS in us-east-1 to queue.amazonaws.com whatever AWS_ENDPOINT_URL says.
    done = subprocess.run(["aws", "--endpoint-url", endpoint, *command], env=cli_env, capture_output=True, text=True, timeout=120)
    passed = done.returncode == 0
    if passed and "list-objects" in case:
        passed = cli_key in done.stdout
    check(case, passed, done.stderr or done.stdout)
if request.get("cli", True):
    check("aws s3 cp brought back the object", open(file.name + ".back").read() == "from the CLI" if os.path.exists(file.name + ".back") else False)

# Forgeries: each must be refused with AWS's code.
wrong_secret = dict(aws_access_key_id=credentials.access_key, aws_secret_access_key=credentials.secret_key[::-1],
                    aws_session_token=credentials.token)
wrong_token = dict(aws_access_key_id=credentials.access_key, aws_secret_access_key=credentials.secret_key,
                   aws_session_token=credentials.token[:-4] + "AAAA")
code = error_code(lambda: client("s3", **wrong_secret).list_objects_v2(Bucket=bucket))
check("S3 refuses a wrong secret", code == "SignatureDoesNotMatch", code)
# SQS speaks JSON: the JSON protocols' names for the same refusals.
code = error_code(lambda: client("sqs", **wrong_secret).get_queue_attributes(QueueUrl=queue_url))
check("SQS refuses a wrong secret", code == "InvalidSignatureException", code)
code = error_code(lambda: client("s3", **wrong_token).list_objects_v2(Bucket=bucket))
check("S3 refuses a wrong session token", code == "InvalidToken", code)
code = error_code(lambda: client("sqs", **wrong_token).get_queue_attributes(QueueUrl=queue_url))
check("SQS refuses a wrong session token", code == "UnrecognizedClientException", code)
no_token = dict(aws_access_key_id=credentials.access_key, aws_secret_access_key=credentials.secret_key)
code = error_code(lambda: client("s3", **no_token).list_objects_v2(Bucket=bucket))
check("S3 refuses temporary keys without their token", code == "InvalidAccessKeyId", code)


def send(method, url, headers, body=b""):
    """(status, body) of a raw request, sent exactly as given."""
    # urllib's default form Content-Type would make the server read the body as a form.
    headers = {"Content-Type": "application/octet-stream", **headers} if body else headers
    raw = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(raw, timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def signed(method, url, body=b"", service="s3", headers=None, when=None, keys=credentials):
    """A request signed by botocore, as (url, headers) to send or to tamper with first."""
    aws_request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = (botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth)(keys, service, region)
    if when is None:
        signer.add_auth(aws_request)
    else:  # botocore stamps the time itself; a fixed moment needs its context set by hand
        aws_request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        signer._modify_request_before_signing(aws_request)
        canonical = signer.canonical_request(aws_request)
        signature = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
        aws_request.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{signer.scope(aws_request).split('/', 1)[1]}, "
                                                f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(aws_request))}, Signature={signature}")
    return aws_request.url, dict(aws_request.headers.items())


base = f"{endpoint}/{urllib.parse.quote(bucket)}"
url, headers = signed("GET", base + "?list-type=2&prefix=" + urllib.parse.quote("a/b", safe=""))
status, answer = send("GET", url, headers)
check("the signed request itself is accepted", status == 200, f"{status} {answer}")
status, answer = send("GET", url.replace("prefix=a%2Fb", "prefix=a%2Fc"), headers)
check("a query changed after signing is refused", status == 403 and "SignatureDoesNotMatch" in answer, f"{status} {answer}")
status, answer = send("GET", url + "&max-keys=1", headers)
check("a query parameter added after signing is refused", status == 403 and "SignatureDoesNotMatch" in answer, f"{status} {answer}")
url, headers = signed("PUT", base + "/tampered", body=b"signed body")
status, answer = send("PUT", url, headers, body=b"other body!")
check("an S3 body changed after signing is refused", status == 400 and "XAmzContentSHA256Mismatch" in answer, f"{status} {answer}")
url, headers = signed("PUT", base + "/" + urllib.parse.quote("a+b", safe="/"), body=b"x")
status, answer = send("PUT", url.replace("a%2Bb", "a%20b"), headers, body=b"x")
check("an S3 key changed after signing is refused", status == 403 and "SignatureDoesNotMatch" in answer, f"{status} {answer}")
url, headers = signed("PUT", base + "/extra-header", body=b"x")
status, answer = send("PUT", url, {**headers, "x-amz-meta-added": "after signing"}, body=b"x")
check("an x-amz-* header added after signing is refused by S3", status == 403 and "not signed" in answer, f"{status} {answer}")
body = json.dumps({"QueueUrl": queue_url}).encode()
sqs_headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.GetQueueAttributes"}
url, headers = signed("POST", endpoint + "/", body=body, service="sqs", headers=sqs_headers)
status, answer = send("POST", url, headers, body=body)
check("a signed SQS call is accepted", status == 200, f"{status} {answer}")
status, answer = send("POST", url, headers, body=body.replace(b'"}', b'" }'))
check("an SQS body changed after signing is refused", status == 403 and "InvalidSignatureException" in answer, f"{status} {answer}")
status, answer = send("GET", base + "?list-type=2", {})
check("an unsigned S3 request is refused", status == 403 and "AccessDenied" in answer, f"{status} {answer}")
status, answer = send("POST", endpoint + "/", sqs_headers, body=body)
check("an unsigned SQS request is refused", status in (400, 403), f"{status} {answer}")
url, headers = signed("GET", base + "?list-type=2", when=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20))
status, answer = send("GET", url, headers)
check("a request signed 20 minutes ago is refused", status == 403 and "RequestTimeTooSkewed" in answer, f"{status} {answer}")
url, headers = signed("GET", base + "?list-type=2", when=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5))
status, answer = send("GET", url, headers)
check("a request signed 5 minutes ago is accepted", status == 200, f"{status} {answer}")


# Credentials past their expiry: AssumeRole signed by hand (botocore's client would refuse a negative
# DurationSeconds, moto takes it), then used.
admin = botocore.credentials.Credentials(request["adminKey"], request["adminSecret"])
form = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": request["roleArn"],
                               "RoleSessionName": "expired", "DurationSeconds": "-60"}).encode()
url, headers = signed("POST", endpoint + "/", body=form, service="sts", keys=admin,
                      headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
status, answer = send("POST", url, headers, body=form)
fields = dict(re.findall(r"<(AccessKeyId|SecretAccessKey|SessionToken)>([^<]+)<", answer))
check("AssumeRole signed by hand with the admin key", status == 200 and len(fields) == 3, f"{status} {answer}")
if len(fields) == 3:
    expired = dict(aws_access_key_id=fields["AccessKeyId"], aws_secret_access_key=fields["SecretAccessKey"],
                   aws_session_token=fields["SessionToken"].replace("&amp;", "&"))
    code = error_code(lambda: client("s3", **expired).list_objects_v2(Bucket=bucket))
    check("S3 refuses an expired session token", code == "ExpiredToken", code)
    code = error_code(lambda: client("sqs", **expired).get_queue_attributes(QueueUrl=queue_url))
    check("SQS refuses an expired session token", code == "ExpiredTokenException", code)

json.dump(results, open(sys.argv[2], "w"), indent=1)
