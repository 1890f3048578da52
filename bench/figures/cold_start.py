"""Cold start: exec of the function to its first GET /next, as Lambda's Init phase ends, and the
memory it holds by then. Ours (MakeAWish) and the peer (Python, boto3 clients made at init)."""
import os
import statistics
import sys
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


def measure(args):
    ours = [os.path.join(args.bin, "MakeAWish")]
    peer = [sys.executable, os.path.join(args.here, "peers", "dispatcher.py")]
    runs = {"ours": [], "peer": []}
    for _ in range(args.cold_starts):
        runs["ours"].append(once(args.bin, ours))
        runs["peer"].append(once(args.bin, peer))
    ms = {side: statistics.median(t for t, _ in values) * 1000 for side, values in runs.items()}
    rss = {side: statistics.median(r for _, r in values) for side, values in runs.items()}
    return [
        {"figure": f"cold start: exec → first GET /next (median of {args.cold_starts})", "unit": "ms, lower is better",
         "ours": ms["ours"], "peer": ms["peer"], "peer_name": "Python + boto3", "ratio": ms["peer"] / ms["ours"],
         "target": "≤ 15 ms and ≥ 10× faster", "met": ms["ours"] <= 15 and ms["peer"] / ms["ours"] >= 10},
        {"figure": "memory at init (peak RSS)", "unit": "MiB, lower is better", "ours": rss["ours"], "peer": rss["peer"],
         "peer_name": "Python + boto3", "ratio": rss["peer"] / rss["ours"], "target": "MakeAWish ≤ 30 MiB", "met": rss["ours"] <= 30},
    ]
