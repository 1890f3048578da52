"""SigV4 checked as AWS checks it, with botocore's signer as the referee, and the principals it knows.

A principal is a set of temporary credentials this test minted with STS AssumeRole (the function's,
the web task's, each task's), with the role they belong to and that role's policies from the template.
"""
import datetime
import threading

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials


class AWSError(Exception):
    """An error as an AWS JSON service answers it: HTTP status, `__type`, message."""

    def __init__(self, status, code, message):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class Principal:
    def __init__(self, *, access_key, secret_key, token, expiration, role_name, role_arn, session_name, policies):
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token
        self.expiration = expiration
        self.role_name = role_name
        self.role_arn = role_arn
        self.session_name = session_name
        self.policies = policies

    @property
    def arn(self):
        account = self.role_arn.split(":")[4]
        return f"arn:aws:sts::{account}:assumed-role/{self.role_name}/{self.session_name}"


class Principals:
    def __init__(self):
        self._by_key = {}
        self._lock = threading.Lock()

    def add(self, principal):
        with self._lock:
            self._by_key[principal.access_key] = principal

    def get(self, access_key):
        with self._lock:
            return self._by_key.get(access_key)


class _ExactHeaders(SigV4Auth):
    """botocore's SigV4 over exactly the headers the request says it signed (AWS's rule), no more, no fewer."""

    def __init__(self, credentials, service, region, signed):
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request):
        headers = HTTPHeaders()
        for name in self._signed:
            value = request.headers.get(name)
            if value is None:
                raise AWSError(403, "IncompleteSignatureException", f"Signed header {name} is not in the request")
            headers[name] = value
        return headers


class _Lower(dict):
    def get(self, name, default=None):
        return super().get(name.lower(), default)


def _between(text, first, second):
    return text.partition(first)[2].partition(second)[0]


def verify(principals, *, method, host, path, headers, body, service, region, now=None):
    """Checks the request's SigV4 signature; returns the principal, or raises AWSError as AWS would answer."""
    lowered = {}
    for name, value in headers.items():
        lowered[name.lower()] = value if name.lower() not in lowered else lowered[name.lower()] + "," + value
    headers = _Lower(lowered)
    authorization = headers.get("Authorization")
    if not authorization:
        raise AWSError(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        raise AWSError(400, "IncompleteSignatureException", f"Unsupported signature algorithm in {authorization.split(' ')[0]}")
    credential = _between(authorization, "Credential=", ",").strip()
    signed = _between(authorization, "SignedHeaders=", ",").strip().split(";")
    signature = authorization.partition("Signature=")[2].strip()
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AWSError(400, "IncompleteSignatureException", f"Credential {credential} is malformed")
    access_key, scope_date, scope_region, scope_service, _ = parts
    if "host" not in signed:
        raise AWSError(403, "IncompleteSignatureException", "The host header must be signed")
    if headers.get("Host") != host:
        raise AWSError(403, "InvalidSignatureException", f"Host {headers.get('Host')} is not {host}")
    if scope_region != region or scope_service != service:
        raise AWSError(403, "InvalidSignatureException",
                       f"Credential should be scoped to a valid region and service: {region}/{service}, not {scope_region}/{scope_service}")
    amz_date = headers.get("X-Amz-Date")
    if not amz_date:
        raise AWSError(403, "IncompleteSignatureException", "X-Amz-Date is missing")
    try:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise AWSError(403, "IncompleteSignatureException", f"X-Amz-Date {amz_date} is not ISO 8601 basic format")
    if scope_date != amz_date[:8]:
        raise AWSError(403, "InvalidSignatureException", f"Credential date {scope_date} does not match X-Amz-Date {amz_date}")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if abs((now - signed_at).total_seconds()) > 900:
        raise AWSError(403, "InvalidSignatureException", f"Signature expired: {amz_date} is more than 15 minutes from now")
    principal = principals.get(access_key)
    if principal is None:
        raise AWSError(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
    if headers.get("X-Amz-Security-Token") != principal.token:
        raise AWSError(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
    if "x-amz-security-token" not in signed:
        # AWS accepts an unsigned token header, but the SDKs all sign it; ours should too.
        raise AWSError(403, "InvalidSignatureException", "X-Amz-Security-Token is not among the signed headers")
    if principal.expiration and now >= principal.expiration:
        raise AWSError(400, "ExpiredTokenException", "The security token included in the request is expired")
    request = AWSRequest(method=method, url=f"https://{host}{path}", data=body, headers={name: headers.get(name) for name in signed})
    request.context["timestamp"] = amz_date
    auth = _ExactHeaders(Credentials(principal.access_key, principal.secret_key, principal.token), service, region, signed)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != signature:
        raise AWSError(403, "InvalidSignatureException",
                       "The request signature we calculated does not match the signature you provided. "
                       f"The Canonical String for this request should have been\n'{canonical}'")
    return principal
