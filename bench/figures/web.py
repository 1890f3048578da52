"""The web front under wrk (Debian's package): GET / and POST /api/wishes against the local cloud,
release build; requests per second and the 99th percentile latency. The peer has no web front."""
import os
import re
import shutil
import subprocess
import tempfile

from figures.click import free_port
from lib.cloud import LocalCloud

GET = """wrk.headers["Authorization"] = "{authorization}"
"""

POST = """wrk.method = "POST"
wrk.body = '{{"wish":"wrk"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "{authorization}"
"""


def lua(template, authorization):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(template.format(authorization=authorization))
    script.close()
    return script.name


def wrk(url, script=None, seconds=10):
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", script]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0


def measure(args):
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (bench/run installs it)")
    port = free_port()
    cloud = LocalCloud(args.bin, "--port", str(port), "--instances", "1", "--task-executable", "/bin/true",
                       "--no-task-events", "--schedule-seconds", "3600")
    base = f"http://127.0.0.1:{port}"
    try:
        cloud.wait_for_web(base)
        # The local web requires its token: the pages take it as a bearer token too.
        authorization = cloud.authorization.get("Authorization", "")
        scripts = [lua(GET, authorization), lua(POST, authorization)]
        rows = []
        for name, url, script in [("GET /", base + "/", scripts[0]), ("POST /api/wishes", base + "/api/wishes", scripts[1])]:
            rate, p99, errors = wrk(url, script, seconds=args.web_seconds)
            rows.append({"figure": f"web {name} (wrk, 2 threads, 16 connections)", "unit": "requests/s, higher is better",
                         "ours": rate, "peer": None, "peer_name": "", "ratio": None, "target": "–", "met": errors == 0,
                         "note": f"p99 {p99:.1f} ms, {errors} non-2xx/3xx answers"})
        for script in scripts:
            os.remove(script)
        return rows
    finally:
        cloud.stop()
