"""CPU per dispatched wish: stored wishes arrive in 10-record SQS batches; the function claims each
attempt in S3 and starts it with RunTask on the local Fargate (no throttle, tasks run /bin/true, no
task events). user + sys CPU of the function after its init, divided by the wishes. Also: every wish
launched exactly once, counted at the ECS endpoint."""
import json
import os
import random
import sys
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import boto3

from lib import processes
from lib.cloud import LocalCloud
from lib.bootstrap import Bootstrap

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
SPEC = json.dumps({"wish": "bench", "vcpus": 0.25, "memory": 512, "queue": "default", "attempts": 1}).encode()


def wish_id():
    millis = int(time.time() * 1000)
    head = "".join(ALPHABET[(millis >> (5 * (9 - i))) & 31] for i in range(10))
    return head + "".join(random.choice(ALPHABET) for _ in range(16))


def store_wishes(cloud, bucket, count):
    s3 = boto3.client("s3", endpoint_url=cloud.state["endpoint"], region_name="us-east-1", **cloud.boto3_keys())
    s3.create_bucket(Bucket=bucket)
    ids = [wish_id() for _ in range(count)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"wishes/{i}/spec.json", Body=SPEC), ids))
    return ids


def sqs_event(bodies):
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": "bench", "body": body,
        "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:wishes", "awsRegion": "us-east-1",
    } for body in bodies]}


class Outcome:
    def __init__(self):
        self.done = 0
        self.redelivered = 0
        self.errors = []


def dispatch(cloud, bin_dir, command, bucket, ids, redelivery_delay=0.0, batch=10):
    """Runs one function over all the wishes; returns CPU seconds after init, wall seconds, peak RSS, outcome.
    Failed batch items come back after `redelivery_delay` seconds, as SQS would return them."""
    bootstrap = Bootstrap(bin_dir, command, cloud.environment(WISHES_BUCKET=bucket, LOG_LEVEL="warning"))
    try:
        bootstrap.wait_init()
        cpu_before = processes.cpu_seconds(bootstrap.pid)
        started = time.perf_counter()
        outcome = Outcome()
        pending = deque((0.0, [json.dumps({"id": i}) for i in ids[start:start + batch]]) for start in range(0, len(ids), batch))
        deadline = time.monotonic() + 1800
        while pending:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]}: only {outcome.done} of {len(ids)} wishes done; errors: {outcome.errors[:2]}")
            ready, bodies = pending.popleft()
            if ready > time.monotonic():
                time.sleep(ready - time.monotonic())
            event = sqs_event(bodies)
            error, answer = bootstrap.invoke(event)
            if error:
                outcome.errors.append(answer.decode(errors="replace"))
                failed_ids = {r["messageId"] for r in event["Records"]}
            else:
                failed_ids = {f["itemIdentifier"] for f in (json.loads(answer or b"{}") or {}).get("batchItemFailures", [])}
            failed = [r["body"] for r in event["Records"] if r["messageId"] in failed_ids]
            outcome.done += len(bodies) - len(failed)
            outcome.redelivered += len(failed)
            if failed:
                pending.append((time.monotonic() + redelivery_delay, failed))
        wall = time.perf_counter() - started
        cpu = processes.cpu_seconds(bootstrap.pid) - cpu_before
        rss = processes.peak_rss_mib(bootstrap.pid)
    finally:
        bootstrap.stop()
    return cpu, wall, rss, outcome


def launch_cloud(bin_dir, *extra):
    """One function environment, an unthrottled Fargate whose tasks run /bin/true, no task events, no sweep."""
    return LocalCloud(bin_dir, "--no-web", "--instances", "1", "--launch-burst", "100000000", "--launch-rate", "100000000",
                      "--task-executable", "/bin/true", "--no-task-events", "--schedule-seconds", "3600", *extra)


def sides(args):
    """The two dispatchers, as the Runtime API starts them."""
    return {"ours": [os.path.join(args.bin, "MakeAWish")],
            "peer": [sys.executable, os.path.join(args.here, "peers", "dispatcher.py")]}


def measure(args):
    cloud = launch_cloud(args.bin)
    try:
        results = {}
        launched_before = cloud.stats()["tasksLaunched"]
        for side, command in sides(args).items():
            bucket = f"bench-{side}-{random.randrange(1 << 30)}"
            ids = store_wishes(cloud, bucket, args.wishes)
            cpu, wall, rss, api = dispatch(cloud, args.bin, command, bucket, ids)
            stats = cloud.stats()
            results[side] = {"cpu": cpu, "wall": wall, "rss": rss, "launched": stats["tasksLaunched"] - launched_before,
                             "redelivered": api.redelivered}
            launched_before = stats["tasksLaunched"]
            print(f"  {side}: {args.wishes} wishes, {cpu:.2f} s CPU, {wall:.1f} s wall, {results[side]['launched']} tasks, "
                  f"{api.redelivered} redelivered, peak RSS {rss:.1f} MiB", file=sys.stderr)
        per = {side: r["cpu"] / args.wishes * 1e6 for side, r in results.items()}
        exact = all(r["launched"] == args.wishes for r in results.values())
        return [
            {"figure": f"CPU per dispatched wish ({args.wishes} wishes, 10 per batch)", "unit": "µs user+sys, lower is better",
             "ours": per["ours"], "peer": per["peer"], "peer_name": "Python + boto3", "ratio": per["peer"] / per["ours"],
             "target": "≥ 10× less than the peer", "met": per["peer"] / per["ours"] >= 10,
             "note": f"tasks launched: ours {results['ours']['launched']}, peer {results['peer']['launched']} of {args.wishes} each"
                     + ("" if exact else " (NOT exactly one per wish)")},
            {"figure": "memory while dispatching (peak RSS)", "unit": "MiB, lower is better", "ours": results["ours"]["rss"],
             "peer": results["peer"]["rss"], "peer_name": "Python + boto3", "ratio": results["peer"]["rss"] / results["ours"]["rss"],
             "target": "MakeAWish ≤ 30 MiB", "met": results["ours"]["rss"] <= 30},
        ]
    finally:
        cloud.stop()
