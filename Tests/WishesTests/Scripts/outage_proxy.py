"""A reverse proxy in front of moto that can play an S3 outage, for the task's failure tests.

argv[1]: the upstream (moto) URL; argv[2]: a file to write the port to once listening.
Everything is forwarded byte for byte (SigV4 signs the Host, so the client signs for this proxy's
address and moto, which does not check signatures, serves it). Control:
  POST /_test/outage?seconds=N   for N seconds every request gets S3's 503 SlowDown (N=-1: for ever)
Each forwarded or refused request is logged to stderr.
"""
import http.client
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

upstream = urlsplit(sys.argv[1])
parent = os.getppid()
outage_until = {"t": 0.0}
SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
             b"<Message>Please reduce your request rate.</Message></Error>")


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_test/outage"):
            seconds = float(parse_qs(urlsplit(self.path).query)["seconds"][0])
            outage_until["t"] = float("inf") if seconds < 0 else time.time() + seconds
            return self.reply(204, {}, b"")
        if time.time() < outage_until["t"]:
            sys.stderr.write(f"refused {self.command} {self.path}\n")
            return self.reply(503, {"Content-Type": "application/xml"}, SLOW_DOWN)
        sys.stderr.write(f"forwarded {self.command} {self.path}\n")
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        headers = {name: value for name, value in self.headers.items() if name.lower() not in ("connection", "keep-alive")}
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        names = {k: v for k, v in answer.getheaders() if k.lower() not in ("transfer-encoding", "connection", "content-length")}
        self.reply(answer.status, names, data)
        connection.close()

    def reply(self, status, headers, data):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


threading.Thread(target=watch_parent, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
server.daemon_threads = True
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
