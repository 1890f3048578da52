"""Lambda's Runtime API (2018-06-01) for one execution environment, and Lambda's invoke in front of it.

Each function instance (sandbox) gets its own API, as in Lambda, where every sandbox reaches its own
at 127.0.0.1:9001. `/next` waits as long as there is no event. `Lambda.invoke` hands an event to an
instance that is waiting on `/next` (or to the one named) and waits for its answer, as a synchronous
invoke does; the event source mapping and EventBridge's asynchronous invokes are built on it.
"""
import json
import queue
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

from harness_server import HarnessServer


class Invocation:
    def __init__(self, request_id, payload, deadline_ms):
        self.request_id = request_id
        self.payload = payload
        self.deadline_ms = deadline_ms
        self.done = threading.Event()
        self.kind = None  # "response" or "error"
        self.body = None
        self.error_type = None
        self.instance = None


class RuntimeAPI(HarnessServer):
    def __init__(self, name, address, function_arn, timeout_seconds, on_idle):
        self.name = name
        self.function_arn = function_arn
        self.timeout_seconds = timeout_seconds
        self.on_idle = on_idle
        self.events = queue.Queue()
        self.lock = threading.Lock()
        self.waiting = 0  # /next calls waiting now
        self.current = None
        self.invocations = {}
        self.init_errors = []
        self.protocol_errors = []
        self.closed = threading.Event()
        super().__init__(address, _Handler)

    @property
    def idle(self):
        with self.lock:
            return self.waiting > 0 and self.current is None and self.events.empty()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status, payload=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        api = self.server
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self._answer(404, b'{"errorType":"NotFound"}')
        with api.lock:
            if api.current is not None:
                # The runtime asked for the next event without answering this one: Lambda counts that as an error.
                api.protocol_errors.append(f"/next while {api.current.request_id} was unanswered")
            api.waiting += 1
        api.on_idle()
        try:
            while True:
                if api.closed.is_set():
                    return self._answer(410, b'{"errorType":"Gone"}')
                try:
                    invocation = api.events.get(timeout=0.2)
                    break
                except queue.Empty:
                    continue
        finally:
            with api.lock:
                api.waiting -= 1
        with api.lock:
            api.current = invocation
        invocation.instance = api.name
        trace = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0;Lineage=1:{secrets.token_hex(4)}:0"
        self._answer(200, invocation.payload, {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
            "Lambda-Runtime-Trace-Id": trace,
        })

    def do_POST(self):
        api = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = self.path.split("/")
        if self.path == "/2018-06-01/runtime/init/error":
            api.init_errors.append({"errorType": self.headers.get("Lambda-Runtime-Function-Error-Type"), "body": body.decode("utf-8", "replace")})
            return self._answer(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
        if len(parts) == 6 and parts[1:4] == ["2018-06-01", "runtime", "invocation"] and parts[5] in ("response", "error"):
            with api.lock:
                invocation = api.invocations.get(parts[4])
                if invocation is None or invocation.done.is_set():
                    api.protocol_errors.append(f"{parts[5]} for unknown or answered request {parts[4]}")
                    invocation = None
                elif api.current is invocation:
                    api.current = None
            if invocation is None:
                return self._answer(400, b'{"errorType":"InvalidRequestID","errorMessage":"unknown or answered request id"}')
            if len(body) > 6 * 1024 * 1024:
                invocation.kind, invocation.body, invocation.error_type = "error", "", "Function.ResponseSizeTooLarge"
            else:
                invocation.kind = parts[5]
                invocation.body = body.decode("utf-8", "replace")
                invocation.error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            invocation.done.set()
            api.on_idle()
            return self._answer(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
        self._answer(404, b'{"errorType":"NotFound"}')


class Lambda:
    """The function's instances and the invoke that picks one."""

    def __init__(self, *, function_arn, timeout_seconds, ports):
        self.function_arn = function_arn
        self.timeout_seconds = timeout_seconds
        self.changed = threading.Condition()
        self.instances = []
        self.invocations = []
        for index, port in enumerate(ports):
            api = RuntimeAPI(f"instance-{index + 1}", ("127.0.0.1", port), function_arn, timeout_seconds, self._changed)
            threading.Thread(target=api.serve_forever, name=api.name, daemon=True).start()
            self.instances.append(api)

    def _changed(self):
        with self.changed:
            self.changed.notify_all()

    def wait_all_idle(self, timeout):
        """True once every instance waits on /next (its init is done)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not all(api.idle for api in self.instances):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(min(left, 0.2))
        return True

    def submit(self, payload, instance=None, timeout=30):
        """Hands the event to `instance` (an index) or to any idle instance; returns the Invocation."""
        request_id = str(uuid.uuid4())
        invocation = Invocation(request_id, payload if isinstance(payload, bytes) else json.dumps(payload).encode(),
                                int((time.time() + self.timeout_seconds) * 1000))
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                candidates = [self.instances[instance]] if instance is not None else self.instances
                chosen = next((api for api in candidates if api.idle), None)
                if chosen is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no idle function instance within {timeout} s")
                self.changed.wait(min(left, 0.2))
            with chosen.lock:
                chosen.invocations[request_id] = invocation
                chosen.events.put(invocation)
        self.invocations.append(invocation)
        return invocation

    def invoke(self, payload, instance=None, timeout=None):
        """Synchronous invoke: the answer within the function's timeout, or a timeout of our own."""
        invocation = self.submit(payload, instance)
        if not invocation.done.wait(timeout or self.timeout_seconds):
            invocation.kind, invocation.error_type = "timeout", "Sandbox.Timedout"
        return invocation

    def close(self):
        for api in self.instances:
            api.closed.set()
            api.shutdown()
