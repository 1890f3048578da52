"""A Lambda Runtime API for the benchmarks: it times the first `/next`, hands out events, and takes
the answers, putting failed batch items back as SQS would (after `redelivery_delay` seconds)."""
import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RuntimeAPI:
    def __init__(self, redelivery_delay=0.0):
        self.events = queue.Queue()
        self.first_next = None
        self.pending = {}
        self.done = 0
        self.redelivered = 0
        self.errors = []
        self.redelivery_delay = redelivery_delay
        self.lock = threading.Lock()
        self.all_done = threading.Event()
        self.expected = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                with api.lock:
                    if api.first_next is None:
                        api.first_next = time.perf_counter()
                records = api.events.get()
                if records is None:
                    return self.reply(410)
                request_id = str(uuid.uuid4())
                with api.lock:
                    api.pending[request_id] = records
                body = json.dumps({"Records": records}).encode()
                self.reply(200, body, {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60_000),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:bench",
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = self.path.split("/")
                request_id, kind = parts[-2], parts[-1]
                self.reply(202, b'{"status":"OK"}')
                with api.lock:
                    records = api.pending.pop(request_id, [])
                failed_ids = set()
                if kind == "response":
                    failed_ids = {f["itemIdentifier"] for f in json.loads(body).get("batchItemFailures", [])}
                else:
                    api.errors.append(body.decode(errors="replace"))
                    failed_ids = {r["messageId"] for r in records}
                failed = [r for r in records if r["messageId"] in failed_ids]
                with api.lock:
                    api.done += len(records) - len(failed)
                    api.redelivered += len(failed)
                    finished = api.expected is not None and api.done >= api.expected
                if failed:
                    threading.Timer(api.redelivery_delay, api.events.put, args=(failed,)).start()
                if finished:
                    api.all_done.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A function killed mid-request leaves a broken pipe behind; that is the benchmark's doing.
        self.server.handle_error = lambda request, address: None
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def feed(self, bodies, batch=10):
        """Queues SQS events of `batch` records, one per body."""
        self.expected = (self.expected or 0) + len(bodies)
        for start in range(0, len(bodies), batch):
            self.events.put([{
                "messageId": str(uuid.uuid4()), "receiptHandle": "bench", "body": body,
                "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:wishes", "awsRegion": "us-east-1",
            } for body in bodies[start:start + batch]])

    def close(self):
        for _ in range(64):
            self.events.put(None)
        self.server.shutdown()
