"""Cold start: exec of the function to its first GET /next, as Lambda's Init phase ends, and the
memory it holds by then. Ours (MakeAWish) and the peer (Python, boto3 clients made at init).

Measured twice: by the local cloud's Runtime API (`Init Duration`, what the local cloud reports), and
at a bare listener that only notes when the first GET arrives. The emulator's own spawn and accept
add 6 ms or more to any bootstrap (curl's measured 7.9 ms bare and 13.9 ms under it on 2026-12-07),
which Lambda's Init Duration does not count."""
import http.server
import os
import socketserver
import statistics
import sys
import threading
import time

from lib import processes
from lib.bootstrap import Bootstrap

ENVIRONMENT = {"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local",
               "AWS_SECRET_ACCESS_KEY": "local-secret", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
               "WISHES_BUCKET": "bench", "WISHES_QUEUE_URL": "http://127.0.0.1:9/000000000000/wishes",
               "WISHES_TASK_DEFINITION": "count-to-three", "WISHES_CLUSTER": "wishes", "LOG_LEVEL": "warning"}


def once(bin_dir, command):
    bootstrap = Bootstrap(bin_dir, command, {**ENVIRONMENT, "HOME": os.environ.get("HOME", "/tmp")})
    try:
        elapsed = bootstrap.wait_init()
        time.sleep(0.05)
        # VmHWM starts over at exec, unlike wait4's ru_maxrss, which counts the forked harness too.
        rss = processes.peak_rss_mib(bootstrap.pid)
    finally:
        bootstrap.stop()
    return elapsed, rss


class _FirstGet(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.first.setdefault("at", time.monotonic())
        self.server.arrived.set()
        # No answer: the runtime waits at /next, as a frozen Lambda environment would.
        self.server.release.wait(5)

    def log_message(self, *args):
        pass


class _Listener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def bare(command, runs):
    """Medians of exec → first GET at a listener that only times it, in seconds."""
    server = _Listener(("127.0.0.1", 0), _FirstGet)
    server.first, server.arrived, server.release = {}, threading.Event(), threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    environment = {**ENVIRONMENT, "HOME": os.environ.get("HOME", "/tmp"), "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
                   "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}
    times = []
    try:
        for _ in range(runs):
            server.first.clear()
            server.arrived.clear()
            server.release.clear()
            started = time.monotonic()
            process = processes.spawn(command, environment)
            try:
                if not server.arrived.wait(30):
                    raise RuntimeError(f"{command[0]} never asked for /next")
                times.append(server.first["at"] - started)
            finally:
                server.release.set()
                processes.stop(process)
    finally:
        server.shutdown()
    return statistics.median(times)


def measure(args):
    ours = [os.path.join(args.bin, "MakeAWish")]
    peer = [sys.executable, os.path.join(args.here, "peers", "dispatcher.py")]
    runs = {"ours": [], "peer": []}
    for _ in range(args.cold_starts):
        runs["ours"].append(once(args.bin, ours))
        runs["peer"].append(once(args.bin, peer))
    ms = {side: statistics.median(t for t, _ in values) * 1000 for side, values in runs.items()}
    bare_ms = {"ours": bare(ours, args.cold_starts) * 1000, "peer": bare(peer, args.cold_starts) * 1000}
    rss = {side: statistics.median(r for _, r in values) for side, values in runs.items()}
    return [
        {"figure": f"cold start: exec → first GET /next (median of {args.cold_starts})", "unit": "ms, lower is better",
         "ours": ms["ours"], "peer": ms["peer"], "peer_name": "Python + boto3", "ratio": ms["peer"] / ms["ours"],
         "target": "≤ 15 ms and ≥ 10× faster", "met": ms["ours"] <= 15 and ms["peer"] / ms["ours"] >= 10},
        {"figure": f"cold start at a bare listener, no emulator (median of {args.cold_starts})", "unit": "ms, lower is better",
         "ours": bare_ms["ours"], "peer": bare_ms["peer"], "peer_name": "Python + boto3", "ratio": bare_ms["peer"] / bare_ms["ours"],
         "target": "≤ 15 ms and ≥ 10× faster", "met": bare_ms["ours"] <= 15 and bare_ms["peer"] / bare_ms["ours"] >= 10},
        {"figure": "memory at init (peak RSS)", "unit": "MiB, lower is better", "ours": rss["ours"], "peer": rss["peer"],
         "peer_name": "Python + boto3", "ratio": rss["peer"] / rss["ours"], "target": "MakeAWish ≤ 30 MiB", "met": rss["ours"] <= 30},
    ]
