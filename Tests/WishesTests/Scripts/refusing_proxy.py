"""A reverse proxy in front of moto that refuses chosen requests, for the web's ordering tests:
what was written when a write in the middle fails.

argv[1]: the upstream (moto) URL; argv[2]: a file to write the port to once listening.
Everything else is forwarded byte for byte (the client signs for this proxy's address, and moto
checks the signature against the Host it is sent). Control:
  POST /_test/refuse?pattern=REGEX   requests whose "METHOD path" matches REGEX (re.search) get S3's
                                     403 AccessDenied, which no client retries; an empty REGEX refuses none
Each request is logged to stderr as "forwarded|refused METHOD path", in the order it came.
"""
import http.client
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

upstream = urlsplit(sys.argv[1])
parent = os.getppid()
refused = {"pattern": None}
log_lock = threading.Lock()
ACCESS_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
                 b"<Message>Access Denied</Message></Error>")


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def log(line):
    with log_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_test/refuse"):
            pattern = parse_qs(urlsplit(self.path).query, keep_blank_values=True).get("pattern", [""])[0]
            refused["pattern"] = re.compile(pattern) if pattern else None
            return self.reply(204, {}, b"")
        request = f"{self.command} {urlsplit(self.path).path}"
        if refused["pattern"] is not None and refused["pattern"].search(request):
            log(f"refused {request}")
            return self.reply(403, {"Content-Type": "application/xml"}, ACCESS_DENIED)
        log(f"forwarded {request}")
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
