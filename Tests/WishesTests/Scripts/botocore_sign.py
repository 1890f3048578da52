"""Signs the requests in argv[1] with botocore's own SigV4 signers; writes the results to argv[2].

Each case names the service; `s3` uses S3SigV4Auth (no path normalization), everything else
SigV4Auth. Cases with `presignExpires` use S3SigV4QueryAuth, as boto3's generate_presigned_url does.
"""
import base64
import datetime
import json
import sys
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from botocore import auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

cases = json.load(open(sys.argv[1]))
results = []
for case in cases:
    timestamp = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
    credentials = Credentials(case["accessKey"], case["secretKey"], case.get("token"))
    request = AWSRequest(
        method=case["method"],
        url=f'{case["scheme"]}://{case["host"]}{case["path"]}',
        data=base64.b64decode(case["body"]),
    )
    request.params = [(name, value) for name, value in case["query"]]
    for name, value in case["headers"]:
        request.headers[name] = value  # email.message semantics: a repeated name is appended
    with mock.patch("botocore.auth.get_current_datetime", return_value=timestamp):
        if case.get("presignExpires"):
            signer = auth.S3SigV4QueryAuth(credentials, case["service"], case["region"], expires=case["presignExpires"])
            signer.add_auth(request)
            query = parse_qs(urlsplit(request.url).query)
            results.append({"signature": query["X-Amz-Signature"][0]})
        else:
            signer_class = auth.S3SigV4Auth if case["service"] == "s3" else auth.SigV4Auth
            signer = signer_class(credentials, case["service"], case["region"])
            signer.add_auth(request)
            results.append({"authorization": request.headers["Authorization"]})
json.dump(results, open(sys.argv[2], "w"))
