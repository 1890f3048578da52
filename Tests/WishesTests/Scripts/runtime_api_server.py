"""A Lambda Runtime API (2018-06-01) for the runtime's tests, written from AWS's documentation.

argv[1]: a file to write the port to once listening. Serves until killed (or its parent dies).
Test control, outside the Runtime API's paths:
  POST /_test/events   JSON list of {"requestId", "body", "deadlineMs"?, "arn"?, "trace"?, "omit"?: [header]}
  POST /_test/close    later /next calls answer 410, which ends a runtime's loop
  GET  /_test/results  what the runtime posted: [{"kind", "requestId", "errorType", "body"}]
"""
import json
import os
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parent = os.getppid()
events = queue.Queue()
results = []
lock = threading.Lock()
closed = threading.Event()


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, payload=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        if self.path == "/_test/results":
            with lock:
                return self.answer(200, json.dumps(results).encode(), {"Content-Type": "application/json"})
        if self.path == "/2018-06-01/runtime/invocation/next":
            while True:
                if closed.is_set() and events.empty():
                    return self.answer(410, b'{"errorType":"Gone","errorMessage":"test over"}')
                try:
                    event = events.get(timeout=0.1)
                    break
                except queue.Empty:
                    continue
            headers = {
                "Lambda-Runtime-Aws-Request-Id": event["requestId"],
                "Lambda-Runtime-Deadline-Ms": str(event.get("deadlineMs", int(time.time() * 1000) + 30000)),
                "Lambda-Runtime-Invoked-Function-Arn": event.get("arn", "arn:aws:lambda:us-east-1:123456789012:function:make-a-wish"),
                "Content-Type": "application/json",
            }
            if "trace" in event:
                headers["Lambda-Runtime-Trace-Id"] = event["trace"]
            for name in event.get("omit", []):
                headers.pop(name, None)
            return self.answer(200, event["body"].encode(), headers)
        self.answer(404, b'{"errorType":"NotFound"}')

    def do_POST(self):
        payload = self.body()
        if self.path == "/_test/events":
            for event in json.loads(payload):
                events.put(event)
            return self.answer(204)
        if self.path == "/_test/close":
            closed.set()
            return self.answer(204)
        parts = self.path.split("/")
        record = None
        if self.path == "/2018-06-01/runtime/init/error":
            record = {"kind": "init/error", "requestId": None}
        elif len(parts) == 6 and parts[1:4] == ["2018-06-01", "runtime", "invocation"] and parts[5] in ("response", "error"):
            record = {"kind": parts[5], "requestId": parts[4]}
        if record is None:
            return self.answer(404, b'{"errorType":"NotFound"}')
        record["errorType"] = self.headers.get("Lambda-Runtime-Function-Error-Type")
        record["body"] = payload.decode("utf-8", "replace")
        with lock:
            results.append(record)
        self.answer(202, b'{"status":"OK"}', {"Content-Type": "application/json"})


threading.Thread(target=watch_parent, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
