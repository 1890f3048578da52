"""A deliberately bad HTTP peer for the client's failure paths (the protocol itself is tested against moto).

argv[1]: mode — `throttle-then-ok` (two 400 ThrottlingException, then 200), `hang` (never answers),
`always-500`, `creds` (ECS container credentials, requiring `Authorization: secret-token`),
`expired-once` (one 400 ExpiredTokenException, then 200), `s3-redirect` (S3's 301 for a bucket in eu-west-1, with `x-amz-bucket-region`; no body for HEAD).
argv[2]: a file to write the port to once listening. Serves until killed; writes each request's path to stderr.
"""
import json
import os
import threading
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

mode = sys.argv[1]
parent = os.getppid()


def watch_parent():
    # The test process may die without stopping us; never outlive it.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watch_parent, daemon=True).start()
count = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/x-amz-json-1.1"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        count["n"] += 1
        sys.stderr.write(f"{self.command} {self.path} {count['n']}\n")
        sys.stderr.flush()
        if mode == "hang":
            time.sleep(30)
        elif mode == "throttle-then-ok":
            if count["n"] <= 2:
                self.answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
            else:
                self.answer(200, {"taskArns": [f"arn:after-{count['n']}-calls"]})
        elif mode == "expired-once":
            if count["n"] == 1:
                self.answer(400, {"__type": "ExpiredTokenException", "message": "The security token included in the request is expired"})
            else:
                self.answer(200, {"taskArns": [f"arn:after-{count['n']}-calls"]})
        elif mode == "always-500":
            self.answer(500, {"__type": "ServerException", "message": "boom"})
        elif mode == "creds":
            if self.headers.get("Authorization") != "secret-token":
                self.answer(401, {"Code": "Unauthorized", "Message": "bad token"}, "application/json")
            else:
                self.answer(200, {"AccessKeyId": "ASIATASK", "SecretAccessKey": "task-secret", "Token": "task-token",
                                  "Expiration": "2099-01-01T00:00:00Z"}, "application/json")

        elif mode == "s3-redirect":
            body = b"" if self.command == "HEAD" else (
                b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are '
                b'attempting to access must be addressed using the specified endpoint. Please send all future requests to '
                b'this endpoint.</Message><Endpoint>far.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>far</Bucket>'
                b'<RequestId>R1</RequestId></Error>')
            self.send_response(301)
            self.send_header("x-amz-bucket-region", "eu-west-1")
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
