#!/usr/bin/env python3
"""moto server that checks every request's signature as AWS does: the one launcher of the tests and the local cloud.

Usage: python3 moto_server.py [-H HOST] [-p PORT] [--credentials-file PATH] [--threads N] [--wire-log PATH] [--server auto|waitress|werkzeug]

What it adds to `python3 -m moto.server`, and why:

- IAM auth is on for every request. moto can check SigV4 (env INITIAL_NO_AUTH_ACTION_COUNT=N lets
  its first N calls through unchecked, and every call after is checked), but its check canonicalizes
  the path and query after the web server decoded them, so it refuses boto3 itself for a '/' in a
  ListObjectsV2 prefix and for keys with '+', '~', '=', '%' or non-ASCII characters. Here the check
  starts from the request line as received (RAW_URI / REQUEST_URI), decodes each path segment and
  query component once and re-encodes it with SigV4's unreserved set, as AWS does. It also refuses
  what moto lets through and AWS does not: no Authorization header, a date more than 15 minutes
  off, an S3 body that does not match its x-amz-content-sha256 or an unsigned x-amz-* header sent
  to S3, an expired session token.
- Set-up: once listening, the launcher itself makes exactly INITIAL_NO_AUTH_ACTION_COUNT unchecked
  calls with boto3: IAM user `wishes-admin` with an allow-all inline policy and an access key, and
  role `wishes-local` (trusting that user and the account, allow-all, sessions up to 12 hours).
  Then it writes {"accessKeyId", "secretAccessKey", "roleArn", "endpoint", "jobRoleArn"} to --credentials-file
  (tmp + rename): the file's existence means the server is up, set up and refusing strangers.
  Callers sign with temporary credentials from sts:AssumeRole on that role, as a Lambda function or
  a Fargate task does.
- It exits when its parent goes away, and unblocks SIGTERM/SIGINT, which a Swift parent may have
  blocked in the thread that spawned it: a server that cannot be told to stop outlives its tests.
- S3 PUTs take turns: moto checks If-Match / If-None-Match and then writes with no lock between,
  while S3 makes that one atomic step that the status merge and the launch claim rely on.
- waitress serves (keep-alive, as AWS keeps connections; moto's own server closes each one) when it
  is installed, werkzeug otherwise; the raw request line reaches the check with either.
- A trust policy's principals match as AWS matches them: moto compares the caller's ARN with each
  principal as a string, so a role that trusts another role (`arn:aws:iam::A:role/R`) refuses R's
  sessions (`arn:aws:sts::A:assumed-role/R/<session>`), and one that trusts the account refuses all.
  Here a role principal takes its sessions, an account (`A` or `arn:aws:iam::A:root`) anyone of it.
- Besides, as the admin (checked calls), it makes the example job role `wishes-local-job`: trusting
  `wishes-local` (whose sessions the local tasks' keys are), allowed sts:GetCallerIdentity and
  s3:ListAllMyBuckets only, and names it as "jobRoleArn" in the file.
- --wire-log PATH appends one JSON line per request ({"method", "target"}: the request target as
  received), so a test can see that a client sends exactly the bytes it signed.
- --fault-rate P fails that share of S3 and SQS requests once set-up is done, as those services do
  on a bad day: half are refused before anything happens (S3 503 SlowDown, SQS 500 InternalError),
  half are carried out and then answered with the same error, so the caller retries what already
  happened. STS, IAM and Secrets Manager are left alone.
- --latency s3=MS,sqs=MS holds each S3 or SQS request that long before moto answers it, once set-up
  is done: loopback answers in a fraction of a millisecond, AWS in 10 to 20, and what a caller does
  while it waits (sequential or parallel calls) is what Lambda bills.
"""
import argparse
import datetime
import hashlib
import io
import json
import os
import random
import re
import signal
import sys
import threading
import time
import traceback
import urllib.parse

ADMIN_USER = "wishes-admin"
ROLE_NAME = "wishes-local"
JOB_ROLE_NAME = "wishes-local-job"
JOB_ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sts:GetCallerIdentity", "s3:ListAllMyBuckets"], "Resource": "*"}]})
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
# create_user, put_user_policy, create_access_key, create_role, put_role_policy: moto lets exactly
# these through unchecked, and the launcher makes sure it was exactly these.
SETUP_CALLS = 5
# AWS refuses a request whose date is further than this from its clock.
MAX_SKEW = datetime.timedelta(minutes=15)
_UNRESERVED = "-_.~"

parent = os.getppid()


def _exit_now(*_):
    os._exit(0)


# A Swift parent may spawn us from a thread that blocks SIGTERM and SIGINT; the mask (and an
# ignored disposition) is inherited, and a server that cannot be told to stop outlives its parent.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
signal.signal(signal.SIGTERM, _exit_now)
signal.signal(signal.SIGINT, _exit_now)


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watch_parent, daemon=True).start()

arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
arguments.add_argument("-H", "--host", default="127.0.0.1")
arguments.add_argument("-p", "--port", type=int, default=0, help="0 picks a free port (the credentials file names it)")
arguments.add_argument("--credentials-file", help="where to write the admin keys and role ARN once ready")
arguments.add_argument("--threads", type=int, default=16, help="waitress's worker threads")
arguments.add_argument("--wire-log", help="append each request's method and raw target here, one JSON line each")
arguments.add_argument("--server", choices=["auto", "waitress", "werkzeug"], default="auto", help="auto: waitress when installed")
arguments.add_argument("--fault-rate", type=float, default=0.0, help="share of S3 and SQS requests that fail (see above)")
arguments.add_argument("--latency", default="", help="s3=MS,sqs=MS: how long each request of that service is held (see above)")
options = arguments.parse_args()


def _latencies(text):
    held = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        service, _, millis = part.partition("=")
        try:
            value = float(millis)
        except ValueError:
            value = -1
        if service not in ("s3", "sqs") or value < 0:
            arguments.error(f"--latency takes s3=MS,sqs=MS (milliseconds, 0 or more), not '{part}'")
        held[service] = value / 1000
    return held


LATENCY = _latencies(options.latency)

# Read by moto.settings when it is imported, so before any moto import.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_CALLS)
# The set-up client must not pick up a profile or keys meant for something else.
for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(name, None)

import boto3  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402
import xmltodict  # noqa: E402  (moto's own dependency)
import moto.s3.responses  # noqa: E402
from moto import settings  # noqa: E402
from moto.core import authorization, responses  # noqa: E402
from moto.core.exceptions import JsonRESTError, _RESTError  # noqa: E402
from moto.iam.access_control import IAMPolicyStatement  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from moto.sts.models import sts_backends  # noqa: E402
from moto.utilities.utils import get_partition  # noqa: E402

# --- S3 PUTs take turns --------------------------------------------------------------------------

_put_lock = threading.Lock()
_put_object = moto.s3.responses.S3Response.put_object


def _atomic_put_object(self):
    with _put_lock:
        return _put_object(self)


moto.s3.responses.S3Response.put_object = _atomic_put_object

# --- the signature check -------------------------------------------------------------------------


def _encode(raw: str) -> str:
    """One path segment or query component as sent → decoded once, encoded as SigV4 defines."""
    return urllib.parse.quote_from_bytes(urllib.parse.unquote_to_bytes(raw), safe=_UNRESERVED)


def canonical_target(raw: str) -> str:
    """`/path?query` as sent → the same with every segment and component encoded as SigV4 defines.

    AWS canonicalizes from the decoded request, so `%7E` and `~` sign alike, and a client that sends
    the canonical form (as the SDKs do) sends exactly what it signed."""
    if raw.startswith(("http://", "https://")):  # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    path, _, query = raw.partition("?")
    path = "/".join(_encode(segment) for segment in path.split("/"))
    if query:
        pairs = []
        for pair in query.split("&"):
            if pair:
                name, _, value = pair.partition("=")
                pairs.append(_encode(name) + "=" + _encode(value))
        path += "?" + "&".join(pairs)
    return path


class _AuthError(_RESTError):
    """An error in the Query protocol's XML, which is what AWS answers for these outside S3."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(code, message)
        self.code = status


class _S3AuthError(_RESTError):
    """S3's error shape: `<Error><Code>` at the root."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(code, message)
        self.code = status
        self.description = xmltodict.unparse({"Error": {"Code": code, "Message": message}}, full_document=True)


class _JSONAuthError(JsonRESTError):
    """The same refusal as AWS's JSON protocols answer it (SQS, ECS): a `__type`, in JSON."""

    JSON_CODES = {
        "SignatureDoesNotMatch": "InvalidSignatureException", "InvalidClientTokenId": "UnrecognizedClientException",
        "MissingAuthenticationToken": "MissingAuthenticationTokenException", "IncompleteSignature": "IncompleteSignatureException",
        "ExpiredToken": "ExpiredTokenException", "AccessDenied": "AccessDeniedException",
    }

    def __init__(self, error: _RESTError):
        super().__init__("com.amazon.coral.service#" + self.JSON_CODES.get(error.error_type, error.error_type), error.message)
        self.code = error.code


def _refuse(response, status: int, code: str, message: str):
    raise (_S3AuthError if getattr(response, "service_name", None) == "s3" else _AuthError)(status, code, message)


_setup_class = responses.BaseResponse.setup_class


def _setup_class_keeping_raw_target(self, request, full_url, headers, *args, **kwargs):
    result = _setup_class(self, request, full_url, headers, *args, **kwargs)
    environ = getattr(request, "environ", None) or {}
    self._wishes_raw_target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    self._wishes_body = environ.get("wishes.body")
    return result


def _field(authorization_header: str, name: str) -> str | None:
    match = re.search(rf"{name}=([^,\s]*)", authorization_header)
    return match.group(1) if match else None


def _check_before_moto(self):
    """What AWS refuses and moto's own check lets through (or answers with a 500)."""
    headers = self.headers
    is_s3 = getattr(self, "service_name", None) == "s3"
    header = headers.get("Authorization")
    if not header:
        if is_s3:
            _refuse(self, 403, "AccessDenied", "Access Denied (no Authorization header; this server does not take presigned URLs)")
        _refuse(self, 403, "MissingAuthenticationToken", "Request is missing Authentication Token")
    credential, signed, signature = (_field(header, name) for name in ("Credential", "SignedHeaders", "Signature"))
    if not header.startswith("AWS4-HMAC-SHA256 ") or not credential or not signed or not signature or credential.count("/") != 4:
        _refuse(self, 400, "AuthorizationHeaderMalformed" if is_s3 else "IncompleteSignature",
                f"the Authorization header is not AWS4-HMAC-SHA256 Credential=KEY/DAY/REGION/SERVICE/aws4_request, SignedHeaders=..., Signature=...: {header}")
    signed_names = signed.split(";")
    for required in ("host", "x-amz-date"):
        if required not in signed_names:
            _refuse(self, 403, "SignatureDoesNotMatch" if not is_s3 else "AccessDenied", f"SignedHeaders must include {required}: {signed}")
    stamp = headers.get("X-Amz-Date", "")
    try:
        when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    except ValueError:
        _refuse(self, 403, "AccessDenied" if is_s3 else "IncompleteSignature", f"X-Amz-Date '{stamp}' is not YYYYMMDDTHHMMSSZ")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if abs(now - when) > MAX_SKEW:
        if is_s3:
            _refuse(self, 403, "RequestTimeTooSkewed", f"The difference between the request time ({stamp}) and the current time is too large.")
        _refuse(self, 403, "SignatureDoesNotMatch", f"Signature expired: {stamp} is now earlier or later than 15 minutes from {now:%Y%m%dT%H%M%SZ}.")
    if credential.split("/")[1] != stamp[:8]:
        _refuse(self, 403, "SignatureDoesNotMatch", f"Credential scope date {credential.split('/')[1]} is not the day of X-Amz-Date {stamp}")
    if is_s3:
        # S3 signs every x-amz-* header it is sent, so none can be added on the way.
        unsigned = sorted(name.lower() for name in headers.keys() if name.lower().startswith("x-amz-") and name.lower() not in signed_names)
        if unsigned:
            _refuse(self, 403, "AccessDenied", f"There were headers present in the request which were not signed: {', '.join(unsigned)}")
        claimed = headers.get("X-Amz-Content-SHA256")
        if not claimed:
            _refuse(self, 400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        if re.fullmatch(r"[0-9a-f]{64}", claimed):
            body = self._wishes_body if getattr(self, "_wishes_body", None) is not None else self.raw_body
            actual = hashlib.sha256(body or b"").hexdigest()
            if actual != claimed:
                _refuse(self, 400, "XAmzContentSHA256Mismatch",
                        f"The provided 'x-amz-content-sha256' header does not match what was computed ({actual}).")
        elif claimed != "UNSIGNED-PAYLOAD" and not claimed.startswith("STREAMING-"):
            _refuse(self, 400, "InvalidArgument", f"x-amz-content-sha256 must be a SHA-256 or UNSIGNED-PAYLOAD, not {claimed}")
    access_key = credential.split("/")[0]
    if access_key.startswith("ASIA") and "X-Amz-Security-Token" in headers:
        partition = get_partition(credential.split("/")[2])
        for role in sts_backends[self.current_account][partition].assumed_roles:
            if role.access_key_id == access_key and role.expiration < now:
                if is_s3:
                    _refuse(self, 400, "ExpiredToken", "The provided token has expired.")
                _refuse(self, 403, "ExpiredToken", "The security token included in the request is expired")


_authenticate = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action


def _authenticate_as_aws(self, iam_request_cls, resource="*"):
    counter = authorization.ActionAuthenticatorMixin
    if counter.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return _authenticate(self, iam_request_cls, resource)  # a set-up call: moto counts it
    if self.headers.get("X-Amz-Target") in counter.PUBLIC_OPERATIONS:
        return _authenticate(self, iam_request_cls, resource)
    try:
        _check_before_moto(self)
        raw = getattr(self, "_wishes_raw_target", None)
        if not raw:
            _refuse(self, 500, "InternalError", "the server did not pass the request line to the signature check")
        parsed = urllib.parse.urlparse(self.uri)
        saved = self.uri
        self.uri = f"{parsed.scheme}://{parsed.netloc}{canonical_target(raw)}"
        try:
            return _authenticate(self, iam_request_cls, resource)
        finally:
            self.uri = saved
    except _RESTError as error:
        # moto answers its own refusals in the Query protocol's XML, whatever the request spoke.
        if self.headers.get("Content-Type", "").startswith("application/x-amz-json") and not isinstance(error, JsonRESTError):
            raise _JSONAuthError(error) from None
        raise


def _principal_matches(named: str, caller: str) -> bool:
    """Whether a trust policy's AWS principal `named` takes the caller whose ARN is `caller`, as AWS decides."""
    if named == "*" or named == caller:
        return True
    caller_parts, named_parts = caller.split(":", 5), named.split(":", 5)
    if len(caller_parts) != 6:
        return False
    account = caller_parts[4]
    if named == account or (len(named_parts) == 6 and named_parts[2] == "iam" and named_parts[4] == account and named_parts[5] == "root"):
        return True
    # arn:P:iam::A:role/path/R takes arn:P:sts::A:assumed-role/R/<session>.
    if len(named_parts) == 6 and named_parts[2] == "iam" and named_parts[5].startswith("role/") and caller_parts[2] == "sts":
        role = named_parts[5].rsplit("/", 1)[-1]
        return (named_parts[1], named_parts[4]) == (caller_parts[1], account) and caller_parts[5].startswith(f"assumed-role/{role}/")
    return False


def _check_principal_as_aws(self, principal: str) -> bool:
    expected = self._statement.get("Principal")
    if not expected:
        return True
    named = expected.get("AWS") if isinstance(expected, dict) else expected
    if named is None:
        return False  # a Service or Federated principal: never a caller with keys
    return any(_principal_matches(name, principal) for name in ([named] if isinstance(named, str) else named))


responses.BaseResponse.setup_class = _setup_class_keeping_raw_target
IAMPolicyStatement._check_principal = _check_principal_as_aws
authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_as_aws

# --- serving -------------------------------------------------------------------------------------

_wire_lock = threading.Lock()


class RawTarget:
    """Hands moto the request target as received under both servers: werkzeug sets RAW_URI, waitress
    only REQUEST_URI (moto's S3 parses keys from RAW_URI when it is there, so both now parse alike)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw:
            environ["RAW_URI"] = raw
        # The body as it came, for the S3 body-hash check: moto reads a form-typed body as a form
        # and then has none left to hash.
        length = environ.get("CONTENT_LENGTH")
        if (length and length.isdigit()) or environ.get("wsgi.input_terminated"):
            body = environ["wsgi.input"].read(int(length)) if length and length.isdigit() else environ["wsgi.input"].read()
            environ["wishes.body"] = body
            environ["wsgi.input"] = io.BytesIO(body)
        if options.wire_log:
            with _wire_lock, open(options.wire_log, "a") as log:
                log.write(json.dumps({"method": environ.get("REQUEST_METHOD"), "target": raw}) + "\n")
        return self.app(environ, start_response)


_set_up_done = threading.Event()


class Faults:
    """S3's and SQS's bad days, at --fault-rate, once set-up is done."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if options.fault_rate <= 0 or not _set_up_done.is_set() or random.random() >= options.fault_rate:
            return self.app(environ, start_response)
        credential = _field(environ.get("HTTP_AUTHORIZATION", ""), "Credential") or ""
        scope = credential.split("/")
        service = scope[3] if len(scope) > 3 else ""
        if service not in ("s3", "sqs"):
            return self.app(environ, start_response)
        if random.random() < 0.5:
            # Carried out, then the answer is lost in a 5xx: the caller will do it again.
            result = self.app(environ, lambda *_args, **_kwargs: (lambda _data: None))
            try:
                for _ in result:
                    pass
            finally:
                getattr(result, "close", lambda: None)()
        if service == "s3":
            body = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            start_response("503 Slow Down", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        else:
            body = json.dumps({"__type": "com.amazonaws.sqs#InternalError", "message": "We encountered an internal error. Please try again."}).encode()
            start_response("500 Internal Server Error", [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body))),
                                                         ("x-amzn-query-error", "InternalError;Receiver")])
        return [body]


class Latency:
    """AWS's round trip, at --latency, once set-up is done (the set-up calls are not AWS's)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if LATENCY and _set_up_done.is_set():
            scope = (_field(environ.get("HTTP_AUTHORIZATION", ""), "Credential") or "").split("/")
            held = LATENCY.get(scope[3] if len(scope) > 3 else "", 0)
            if held:
                time.sleep(held)
        return self.app(environ, start_response)


def keep_metadata_names(task_class):
    """waitress capitalizes every response header name (`X-Amz-Meta-Wish-Id`); S3 answers metadata in
    lower case as stored, and the SDKs take the metadata key from the name as it comes."""
    build = task_class.build_response_header

    def build_keeping_metadata_names(self):
        originals = {"-".join(part.capitalize() for part in name.split("-")).encode("latin-1"): name.encode("latin-1")
                     for name, _ in self.response_headers if name.lower().startswith("x-amz-meta-")}
        head = build(self)
        if not originals:
            return head
        lines = head.split(b"\r\n")
        for index, line in enumerate(lines):
            name, separator, value = line.partition(b": ")
            if separator and name in originals:
                lines[index] = originals[name] + b": " + value
        return b"\r\n".join(lines)

    task_class.build_response_header = build_keeping_metadata_names


def make_server(app):
    """A bound server (so set-up can reach it) and the function that serves until the process ends."""
    try:
        if options.server == "werkzeug":
            raise ImportError("werkzeug asked for")
        import waitress.server
        import waitress.task
    except ImportError:
        if options.server == "waitress":
            raise
        from werkzeug.serving import make_server as werkzeug_server

        server = werkzeug_server(options.host, options.port, app, threaded=True)
        return server.server_port, server.serve_forever
    keep_metadata_names(waitress.task.Task)
    server = waitress.server.create_server(app, host=options.host, port=options.port, threads=options.threads,
                                           channel_timeout=120, connection_limit=1000)
    return server.effective_port, server.run


# --- set-up --------------------------------------------------------------------------------------


def set_up(endpoint: str) -> dict:
    """The few unchecked calls, then a check that the next one is checked."""
    config = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    # Any key will do while moto lets the set-up through; a retry would spend a call, so none.
    setup = boto3.session.Session(aws_access_key_id="wishes-setup", aws_secret_access_key="wishes-setup", region_name="us-east-1")
    iam = setup.client("iam", endpoint_url=endpoint, config=config)
    user = iam.create_user(UserName=ADMIN_USER)["User"]
    iam.put_user_policy(UserName=ADMIN_USER, PolicyName="allow-everything", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    account = user["Arn"].split(":")[4]
    # moto matches a principal by exact ARN, AWS also by account: both are named.
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": [user["Arn"], f"arn:aws:iam::{account}:root"]},
    }]}
    role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=43200)["Role"]
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="allow-everything", PolicyDocument=ALLOW_ALL)
    spent = authorization.ActionAuthenticatorMixin.request_count
    if spent != SETUP_CALLS:
        raise RuntimeError(f"set-up made {spent} unchecked calls, not {SETUP_CALLS}: IAM auth would be off for some")
    admin = boto3.session.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                                  region_name="us-east-1")
    caller = admin.client("sts", endpoint_url=endpoint, config=config).get_caller_identity()
    if caller["Arn"] != user["Arn"]:
        raise RuntimeError(f"the admin key signs as {caller['Arn']}, not {user['Arn']}")
    stranger = boto3.session.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="not-the-secret",
                                     region_name="us-east-1")
    try:
        stranger.client("sts", endpoint_url=endpoint, config=config).get_caller_identity()
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "SignatureDoesNotMatch":
            raise
    else:
        raise RuntimeError("a wrong secret was accepted: signature checking is off")
    # The example job role, made as a deployer would: checked calls, with the admin's key.
    admin_iam = admin.client("iam", endpoint_url=endpoint, config=config)
    job_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": role["Arn"]}}]}
    job_role = admin_iam.create_role(RoleName=JOB_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(job_trust))["Role"]
    admin_iam.put_role_policy(RoleName=JOB_ROLE_NAME, PolicyName="identity-only", PolicyDocument=JOB_ROLE_POLICY)
    return {"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"], "roleArn": role["Arn"], "endpoint": endpoint,
            "jobRoleArn": job_role["Arn"]}


def set_up_and_announce(endpoint: str):
    try:
        admin = set_up(endpoint)
    except Exception:
        traceback.print_exc()
        sys.stderr.write("moto_server.py: set-up failed; stopping\n")
        sys.stderr.flush()
        os._exit(2)
    if options.credentials_file:
        temporary = f"{options.credentials_file}.{os.getpid()}.tmp"
        with open(temporary, "w") as file:
            json.dump(admin, file)
        os.replace(temporary, options.credentials_file)
    _set_up_done.set()
    print(f"moto ready on {endpoint} (signatures checked; admin {admin['accessKeyId']}, role {admin['roleArn']})", flush=True)


port, serve = make_server(RawTarget(Latency(Faults(DomainDispatcherApplication(create_backend_app)))))
os.environ["MOTO_PORT"] = str(port)
host = "127.0.0.1" if options.host in ("0.0.0.0", "::", "") else options.host
host = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
threading.Thread(target=set_up_and_announce, args=(f"http://{host}:{port}",), daemon=True).start()
serve()
