#!/usr/bin/python3
"""What a wish's command tries, as an attacker would, in the production-shaped test.

CountToThree runs it as a wish's command (uid 4242, the task's network and mount namespace), with
/usr/bin/python3 and the standard library only. It tries to take the task's credentials every way a
command could, and, when the wish has a job role, checks the job role's endpoint and what its keys may
do. It prints one line, `PROBE {json}`, and exits 0: the harness judges what it found.

Environment (the wish's own): PROBE_VICTIM_BUCKET and PROBE_VICTIM_KEY (another wish's secrets.json),
PROBE_TASK_ROLE (the task role's ARN).
"""
import ctypes
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid

REGION = "us-east-1"
AGENT = "http://169.254.170.2"
USER_AGENT = "wishes-probe"  # the harness tells the probe's requests from the binaries' by it
CA_BUNDLE = "/etc/pki/tls/certs/ca-bundle.crt"  # Amazon Linux 2023's, where the namespace has the test CA
TLS = ssl.create_default_context(cafile=CA_BUNDLE if os.path.exists(CA_BUNDLE) else None)
# Straight to each address: no proxy of any environment stands between the command and what it tries.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=TLS))
CREDENTIAL_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONTAINER_",
                    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "ECS_")


def request(url, method="GET", headers=None, body=None):
    """(status or error name, body) of one request; never raises."""
    sent = urllib.request.Request(url, data=body, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        with OPENER.open(sent, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:
        return type(error).__name__, b""


def opened(path):
    """What opening `path` for reading gives: its first bytes, "opened" (but not read), or the error."""
    try:
        file = open(path, "rb")
    except OSError as error:
        return type(error).__name__, b""
    with file:
        try:
            return "read", file.read(1 << 16)
        except OSError:
            return "opened", b""


def signed(method, host, path, body, service, keys):
    """SigV4 headers for one request with temporary keys (the standard library's hmac and hashlib)."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-date": stamp, "x-amz-security-token": keys["Token"], "x-amz-content-sha256": payload}
    if body:
        headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8"
    names = ";".join(sorted(headers))
    canonical = "\n".join([method, path, "", "".join(f"{name}:{headers[name]}\n" for name in sorted(headers)), names, payload])
    scope = f"{stamp[:8]}/{REGION}/{service}/aws4_request"
    text = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + keys["SecretAccessKey"]).encode()
    for part in (stamp[:8], REGION, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={keys['AccessKeyId']}/{scope}, SignedHeaders={names}, Signature={signature}"
    return {name: value for name, value in headers.items() if name != "host"}


def aws(method, host, path, body, service, keys):
    """(status, the answer's <Arn> or its error <Code>)."""
    status, answer = request(f"https://{host}{path}", method, signed(method, host, path, body, service, keys), body or None)
    text = answer.decode("utf-8", "replace")
    found = re.search(r"<Arn>([^<]+)</Arn>", text) if status == 200 else re.search(r"<Code>([^<]+)</Code>", text)
    return status, found.group(1) if found else text[:200]


def sts(action, keys, **parameters):
    body = urllib.parse.urlencode({"Action": action, "Version": "2011-06-15", **parameters}).encode()
    return aws("POST", f"sts.{REGION}.amazonaws.com", "/", body, "sts", keys)


def main():
    found = {}
    # 1. Its own environment: no credentials source of the task's, no ECS endpoint.
    found["environment"] = sorted(name for name in os.environ if name.startswith(CREDENTIAL_NAMES))
    # 2. Its parent, CountToThree, whose environment holds the task role's endpoint: environ, memory, ptrace.
    parent = os.getppid()
    found["parent"] = opened(f"/proc/{parent}/comm")[1].decode().strip()
    outcome, data = opened(f"/proc/{parent}/environ")
    found["parentEnviron"] = outcome if outcome != "read" else ("read, with AWS_CONTAINER" if b"AWS_CONTAINER" in data else "read")
    found["parentMem"] = opened(f"/proc/{parent}/mem")[0]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(16, parent, None, None) == 0:  # PTRACE_ATTACH
        os.waitpid(parent, 0x40000000)  # __WALL: until it stops, so that it can be let go again
        libc.ptrace(17, parent, None, None)  # PTRACE_DETACH
        found["parentPtrace"] = "attached"
    else:
        found["parentPtrace"] = os.strerror(ctypes.get_errno())
    # 3. The ECS agent's endpoints without the task's path: guessed, bare, and the metadata root.
    found["agent"] = {path: request(AGENT + path)[0] for path in
                      (f"/v2/credentials/{uuid.uuid4()}", "/v2/credentials/", "/v2/credentials", "/v4/", f"/v4/{uuid.uuid4().hex}/task")}
    # 4. The job role's endpoint, when the wish has one.
    uri, token = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"), os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    if uri and token:
        parts = urllib.parse.urlsplit(uri)
        found["jobEndpoint"] = {"host": parts.hostname, "scheme": parts.scheme}
        status, body = request(uri, headers={"Authorization": token})
        keys = json.loads(body) if status == 200 else {}
        found["jobWithToken"] = {"status": status, "fields": sorted(keys), "roleArn": keys.get("RoleArn")}
        found["jobNoToken"] = request(uri)[0]
        found["jobGuessedToken"] = request(uri, headers={"Authorization": secrets.token_hex(32)})[0]
        found["jobOtherPath"] = request(f"{parts.scheme}://{parts.netloc}/{secrets.token_hex(16)}", headers={"Authorization": token})[0]
        if keys:
            # 5. What the job role's keys may do: say who they are, and not read another wish's environment
            # nor become the task role.
            found["jobCaller"] = sts("GetCallerIdentity", keys)
            bucket, key = os.environ.get("PROBE_VICTIM_BUCKET", ""), os.environ.get("PROBE_VICTIM_KEY", "")
            found["jobReadsVictim"] = aws("GET", f"{bucket}.s3.{REGION}.amazonaws.com", "/" + key, b"", "s3", keys)
            found["jobAssumesTaskRole"] = sts("AssumeRole", keys, RoleArn=os.environ.get("PROBE_TASK_ROLE", ""), RoleSessionName="probe")
    print("PROBE " + json.dumps(found), flush=True)


if __name__ == "__main__":
    main()
