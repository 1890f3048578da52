"""The ECS (Fargate) agent's endpoints on 169.254.170.2:80, as a container sees them.

- `GET /v2/credentials/<uuid>`: the task role's temporary credentials, in the agent's JSON
  (`AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`, `RoleArn`), for
  `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
- `GET /v4/<container id>` and `/v4/<container id>/task`: task metadata v4, for
  `ECS_CONTAINER_METADATA_URI_V4` (the task ARN, cluster, family, revision, limits, containers).
"""
import json
import threading
from http.server import BaseHTTPRequestHandler

from harness_server import HarnessServer


class Agent(HarnessServer):
    def __init__(self, address):
        self.lock = threading.Lock()
        self.credentials = {}  # uuid -> callable returning the credentials JSON
        self.metadata = {}  # container id -> (container metadata, task metadata)
        self.requests = []
        super().__init__(address, _Handler)

    def add_credentials(self, relative_uri_id, source):
        with self.lock:
            self.credentials[relative_uri_id] = source

    def add_metadata(self, container_id, container, task):
        with self.lock:
            self.metadata[container_id] = (container, task)

    def recorded(self):
        with self.lock:
            return list(self.requests)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60

    def log_message(self, *args):
        pass

    def _answer(self, status, document):
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        status, document = 404, {"code": "NotFound", "message": f"no such path {self.path}"}
        with self.server.lock:
            if len(parts) == 3 and parts[:2] == ["v2", "credentials"] and parts[2] in self.server.credentials:
                source = self.server.credentials[parts[2]]
            else:
                source = None
            metadata = self.server.metadata.get(parts[1]) if len(parts) >= 2 and parts[0] == "v4" else None
        if source is not None:
            status, document = 200, source()
        elif metadata is not None and len(parts) == 2:
            status, document = 200, metadata[0]
        elif metadata is not None and parts[2:] == ["task"]:
            status, document = 200, metadata[1]
        with self.server.lock:
            self.server.requests.append({"path": self.path, "status": status, "userAgent": self.headers.get("User-Agent", "")})
        self._answer(status, document)


def start(address=("169.254.170.2", 80)):
    server = Agent(address)
    threading.Thread(target=server.serve_forever, name="container-agent", daemon=True).start()
    return server
