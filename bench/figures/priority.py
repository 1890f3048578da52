"""asap first under saturation: the local Fargate's launch bucket made small (5 burst, 2 per second), and
default wishes submitted ahead of asap ones (three default per asap, defaults first), so asap has to
overtake. The median wait (submit → task RUNNING) of each queue, side by side in one run. The order is
the dispatcher's (a held default launch while asap is refused, asap's shorter backoff); the local
Lambda has no priority of its own, as AWS's event source mappings have none."""
import datetime
import json
import socket
import statistics
import sys
import time
import urllib.request

from lib.cloud import LocalCloud

DEFAULT_WISHES, ASAP_WISHES = 45, 15


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, headers, body=None):
    request = urllib.request.Request(url, data=body and json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def parse(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def measure(args):
    port = free_port()
    cloud = LocalCloud(args.bin, "--port", str(port), "--count-interval", "0", "--schedule-seconds", "3600",
                       "--launch-burst", "5", "--launch-rate", "2", "--max-running", "200")
    web = f"http://127.0.0.1:{port}"
    try:
        cloud.wait_for_web(web)
        auth = cloud.authorization
        submitted = {}
        plan = ["asap" if i % 4 == 3 else "default" for i in range(DEFAULT_WISHES + ASAP_WISHES)]
        for queue in plan:
            wish = call("POST", web + "/api/wishes", auth, {"wish": "priority", "queue": queue})
            submitted[wish["id"]] = (queue, time.time())
        waits = {"default": [], "asap": []}
        pending = dict(submitted)
        deadline = time.time() + 900
        while pending and time.time() < deadline:
            for wish_id in list(pending):
                wish = call("GET", f"{web}/api/wishes/{wish_id}", auth)
                if wish["state"] in ("SUCCEEDED", "FAILED"):
                    queue, at = pending.pop(wish_id)
                    started = next((a.get("startedAt") for a in wish.get("attempts", []) if a.get("startedAt")), None)
                    if wish["state"] == "SUCCEEDED" and started:
                        waits[queue].append(parse(started) - at)
            time.sleep(0.5)
        default, asap = statistics.median(waits["default"]), statistics.median(waits["asap"])
        ended = len(waits["default"]) + len(waits["asap"])
        stats = cloud.stats()
        print(f"  median wait: asap {asap:.1f} s, default {default:.1f} s; {ended}/{len(plan)} succeeded; "
              f"{stats['throttled']} RunTask calls throttled", file=sys.stderr)
        return [{
            "figure": f"asap first: median wait to RUNNING, Fargate's bucket saturated (5 burst, 2/s; {DEFAULT_WISHES} default "
                      f"submitted ahead of {ASAP_WISHES} asap)",
            "unit": "s, asap vs default", "ours": asap, "peer": default, "peer_name": "default queue",
            "ratio": default / asap if asap > 0 else None, "target": "asap ≤ 1/5 of default", "met": asap * 5 <= default and ended == len(plan),
            "note": f"{ended} of {len(plan)} succeeded; asap waits {min(waits['asap']):.1f}–{max(waits['asap']):.1f} s, default "
                    f"{min(waits['default']):.1f}–{max(waits['default']):.1f} s; {stats['throttled']} RunTask calls throttled",
        }]
    finally:
        cloud.stop()
