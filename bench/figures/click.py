"""Click to result: POST a wish to the local cloud's web front, poll until SUCCEEDED (count interval 0);
median of N, one at a time. Also the peak memory of one CountToThree run and of Web afterwards."""
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

from lib import processes
from lib.cloud import LocalCloud


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body and json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def web_rss(binaries):
    # The local cloud starts Web by its full path; match the end of its command line.
    out = subprocess.run(["pgrep", "-f", "/" + os.path.basename(os.path.realpath(binaries)) + "/Web$"],
                         capture_output=True, text=True).stdout.split()
    return max((processes.peak_rss_mib(int(pid)) for pid in out), default=float("nan"))


def measure(args):
    port = free_port()
    cloud = LocalCloud(args.bin, "--port", str(port), "--count-interval", "0", "--schedule-seconds", "3600")
    web = f"http://127.0.0.1:{port}"
    try:
        cloud.wait_for_web(web)
        times = []
        last = None
        for _ in range(args.clicks):
            started = time.perf_counter()
            last = call("POST", web + "/api/wishes", {"wish": "click"}, cloud.authorization)["id"]
            while call("GET", f"{web}/api/wishes/{last}", headers=cloud.authorization)["state"] not in ("SUCCEEDED", "FAILED"):
                time.sleep(0.01)
            times.append(time.perf_counter() - started)
        median = statistics.median(times) * 1000
        # One more attempt of the last wish, run by hand, for CountToThree's peak memory.
        # GNU time's %M is the peak RSS of the program it execs, in KiB.
        report = tempfile.mktemp()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report, os.path.join(args.bin, "CountToThree")], check=True,
                       env=cloud.environment(WISH_ID=last, WISH_ATTEMPT="2", WISHES_BUCKET=cloud.state["bucket"],
                                             WISHES_COUNT_INTERVAL_SECONDS="0", LOG_LEVEL="warning"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        task_rss = int(open(report).read().split()[-1]) / 1024
        os.remove(report)
        rows = [
            {"figure": f"click to result: POST → SUCCEEDED, count interval 0 (median of {args.clicks})",
             "unit": "ms, lower is better", "ours": median, "peer": None, "peer_name": "", "ratio": None,
             "target": "≤ 1 s locally", "met": median <= 1000,
             "note": f"fastest {min(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms"},
            {"figure": "memory of one CountToThree attempt (peak RSS)", "unit": "MiB", "ours": task_rss,
             "peer": None, "peer_name": "", "ratio": None, "target": "–", "met": True},
            {"figure": "memory of Web after the clicks (peak RSS)", "unit": "MiB", "ours": web_rss(args.bin),
             "peer": None, "peer_name": "", "ratio": None, "target": "–", "met": True},
        ]
        return rows
    finally:
        cloud.stop()
