"""An HTTP endpoint that answers 204 to everything and remembers what it got (a callback's receiver).

argv[1]: a file to write the port to once listening. GET /_test/requests answers
[{"method", "path", "headers", "body"}] in arrival order. A path whose query has `fail=N` is
answered 503 the first N times it is requested (a receiver that is down for a while); `redirect=1`
is answered 302 to /elsewhere (which a callback must not follow).
"""
from urllib.parse import parse_qs, urlsplit
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parent = os.getppid()
received = []
hits = {}
lock = threading.Lock()


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, data=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self):
        if self.path == "/_test/requests":
            with lock:
                return self.reply(200, json.dumps(received).encode())
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            received.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                             "body": body.decode("utf-8", "replace")})
            hits[self.path] = hits.get(self.path, 0) + 1
            seen = hits[self.path]
        query = parse_qs(urlsplit(self.path).query)
        if seen <= int(query.get("fail", ["0"])[0]):
            return self.reply(503, b"down for now")
        if query.get("redirect") == ["1"]:
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.reply(204)

    do_GET = do_POST = do_PUT = record


threading.Thread(target=watch_parent, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
server.daemon_threads = True
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
