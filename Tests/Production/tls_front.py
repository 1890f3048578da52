"""HTTPS on 127.0.0.1:443 for AWS's regional host names, as a load balancer in front of the services.

Requests are routed by their Host header: to a handler in this process (the ECS endpoint), or to an
upstream HTTP server (moto) with the request passed on byte for byte, the Host header included, so
the signature the client computed for the real host name still matches there. Every request is
recorded (host, method, path, status, user agent), and every TLS handshake's SNI name.
"""
import http.client
import ssl
import threading
from http.server import BaseHTTPRequestHandler

from harness_server import HarnessServer

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class TLSFront(HarnessServer):
    def __init__(self, *, address, cert, key, routes):
        """`routes`: host name -> a callable (method, path, headers, body) -> (status, headers, body), or (host, port) upstream."""
        self.routes = routes
        self.lock = threading.Lock()
        self.requests = []
        self.sni = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(cert, key)
        self.context.sni_callback = self._sni
        super().__init__(address, _Handler)

    def _sni(self, ssl_socket, server_name, context):
        with self.lock:
            self.sni.append(server_name)

    def get_request(self):
        sock, address = super().get_request()
        # The handshake happens in the handler's thread, on first read, so one slow client blocks no other.
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)

    def recorded(self):
        with self.lock:
            return list(self.requests)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            self.connection.do_handshake()
        except (ssl.SSLError, OSError) as error:
            self.server.record({"host": None, "method": None, "path": None, "status": None, "tlsError": str(error)})
            return
        super().handle()

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        body = self._body()
        route = self.server.routes.get(host)
        entry = {"host": host, "method": self.command, "path": self.path.split("?")[0], "userAgent": self.headers.get("User-Agent", ""),
                 "target": self.headers.get("X-Amz-Target")}
        if route is None:
            status, headers, payload = 421, {"Content-Type": "text/plain"}, f"no service at {host}\n".encode()
        elif callable(route):
            status, headers, payload = route(self.command, self.path, self.headers, body)
        else:
            status, headers, payload = self._forward(route, body)
        entry["status"] = status
        self.server.record(entry)
        self.send_response_only(status)
        length_sent = False
        for name, value in headers.items() if isinstance(headers, dict) else headers:
            if name.lower() in _HOP_BY_HOP or name.lower() in ("date", "server"):
                continue
            if name.lower() == "content-length":
                if self.command != "HEAD":
                    continue
                length_sent = True
            self.send_header(name, value)
        self.send_header("Date", self.date_time_string())
        self.send_header("Server", "AmazonTest")
        if not length_sent and not (self.command == "HEAD" or status in (204, 304) or 100 <= status < 200):
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(payload)
        self.wfile.flush()

    def _forward(self, upstream, body):
        connection = http.client.HTTPConnection(*upstream, timeout=60)
        try:
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() in _HOP_BY_HOP or name.lower() == "content-length":
                    continue
                connection.putheader(name, value)
            if body or self.command in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            payload = response.read()
            return response.status, response.getheaders(), payload
        except (OSError, http.client.HTTPException) as error:
            return 502, {"Content-Type": "text/plain"}, f"upstream {upstream}: {error}\n".encode()
        finally:
            connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _serve


def start(*, cert, key, routes, address=("127.0.0.1", 443)):
    server = TLSFront(address=address, cert=cert, key=key, routes=routes)
    threading.Thread(target=server.serve_forever, name="tls-front", daemon=True).start()
    return server

