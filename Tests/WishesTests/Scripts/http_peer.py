"""An HTTP/1.1 peer for the project's own HTTP client: Python's http.server with keep-alive, which
counts connections and how many exchanges ran at once.

argv: [--tls DIR] PORTFILE. With --tls, makes a CA and a certificate for `localhost` and 127.0.0.1
signed by it (DIR/ca.pem) and serves https, recording each handshake's SNI name.
Paths: /echo (JSON: connection, method, path, headers, body), /chunked?parts=N, /big?bytes=N,
/slow?seconds=S, /close (answers with Connection: close), /hang (never answers), /idle-close
(answers, then closes the connection 0.2 s later, as a server's keep-alive limit does), /stats.
"""
import datetime
import itertools
import json
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

parent = os.getppid()
lock = threading.Lock()
stats = {"connections": 0, "active": 0, "maxActive": 0, "sni": []}
ids = itertools.count(1)


def watch_parent():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def make_pki(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wishes test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(os.path.join(directory, "leaf.pem"), "wb") as f:
        f.write(leaf.public_bytes(pem))
    with open(os.path.join(directory, "leaf.key"), "wb") as f:
        f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return os.path.join(directory, "leaf.pem"), os.path.join(directory, "leaf.key")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.connection_id = next(ids)
        with lock:
            stats["connections"] += 1

    def reply(self, status, data=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if not any(name.lower() == "transfer-encoding" for name, _ in headers):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with lock:
            stats["active"] += 1
            stats["maxActive"] = max(stats["maxActive"], stats["active"])
        try:
            self.route(url.path, query, body)
        finally:
            with lock:
                stats["active"] -= 1

    def route(self, path, query, body):
        if path == "/echo":
            data = json.dumps({"connection": self.connection_id, "method": self.command, "path": self.path,
                               "headers": dict(self.headers.items()), "body": body.decode("utf-8", "replace")}).encode()
            self.reply(200, data, [("Content-Type", "application/json")])
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(int(query.get("parts", "3"))):
                chunk = f"part {i};".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/big":
            self.reply(200, b"x" * int(query.get("bytes", "0")))
        elif path == "/slow":
            time.sleep(float(query.get("seconds", "0.2")))
            self.reply(200, str(self.connection_id).encode())
        elif path == "/close":
            self.close_connection = True
            self.reply(200, str(self.connection_id).encode(), [("Connection", "close")])
        elif path == "/hang":
            time.sleep(30)
            self.close_connection = True
        elif path == "/idle-close":
            self.reply(200, str(self.connection_id).encode())
            self.wfile.flush()
            time.sleep(0.2)
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif path == "/stats":
            with lock:
                self.reply(200, json.dumps(stats).encode(), [("Content-Type", "application/json")])
        else:
            self.reply(404, b"no such path")

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = handle_any


def main():
    threading.Thread(target=watch_parent, daemon=True).start()
    args = sys.argv[1:]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args[0] == "--tls":
        cert, key = make_pki(args[1])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)

        def record_sni(_socket, name, _context):
            with lock:
                stats["sni"].append(name)
        context.sni_callback = record_sni
        server.socket = context.wrap_socket(server.socket, server_side=True)
        args = args[2:]
    with open(args[0] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args[0] + ".tmp", args[0])
    server.serve_forever()


if __name__ == "__main__":
    main()
