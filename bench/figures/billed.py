"""Lambda billed duration per 10-wish batch, with AWS-like latency: the local cloud holds each S3 call
15 ms, each SQS call 10 ms, RunTask 40 ms and the other ECS calls 10 ms before answering
(`LocalCloud --aws-latency`), so what a function is billed for is mostly waiting, as in AWS. Both
sides take the same batches of stored wishes (`--billed-wishes`, 10 per event) under the local
cloud's own Runtime API, which reports each invocation's `Billed Duration` as Lambda does; median
per batch. Each side runs with the CPU Lambda gives the template's 128 MB (`--memory-size`: 128/1769
of a vCPU, CFS bandwidth in a cgroup), so CPU costs billed time as it does in AWS. The peer works its
records on ten threads, so both sides overlap their wishes; what is left between them is each wish's
chain of round trips and the CPU between them."""
import json
import random
import statistics
import sys
import time

from figures.dispatch import launch_cloud, sides, sqs_event, store_wishes
from lib.bootstrap import Bootstrap

LATENCY = "s3=15,sqs=10,ecs=10,runtask=40"
# MakeAWish's MemorySize in deploy/wishes.yaml.
MEMORY_MB = 128


def billed(cloud, bin_dir, command, bucket, ids):
    bootstrap = Bootstrap(bin_dir, command, cloud.environment(WISHES_BUCKET=bucket, LOG_LEVEL="warning"), memory_mb=MEMORY_MB)
    try:
        bootstrap.wait_init()
        batches = [ids[start:start + 10] for start in range(0, len(ids), 10)]
        failed = 0
        for batch in batches:
            error, answer = bootstrap.invoke(sqs_event([json.dumps({"id": i}) for i in batch]))
            if error:
                raise RuntimeError(f"{command[0]} failed a batch: {answer[:300]!r}")
            failed += len((json.loads(answer or b"{}") or {}).get("batchItemFailures", []))
        deadline = time.monotonic() + 10
        while len(bootstrap.billed_millis) < len(batches) and time.monotonic() < deadline:
            time.sleep(0.05)
        if len(bootstrap.billed_millis) < len(batches):
            raise RuntimeError(f"the Runtime API reported {len(bootstrap.billed_millis)} of {len(batches)} invocations")
        return list(bootstrap.billed_millis), failed
    finally:
        bootstrap.stop()


def measure(args):
    cloud = launch_cloud(args.bin, "--aws-latency", LATENCY)
    try:
        results = {}
        launched_before = cloud.stats()["tasksLaunched"]
        for side, command in sides(args).items():
            bucket = f"bench-billed-{side}-{random.randrange(1 << 30)}"
            ids = store_wishes(cloud, bucket, args.billed_wishes)
            millis, failed = billed(cloud, args.bin, command, bucket, ids)
            launched = cloud.stats()["tasksLaunched"] - launched_before
            launched_before += launched
            results[side] = {"median": statistics.median(millis), "max": max(millis), "min": min(millis), "launched": launched,
                             "failed": failed}
            print(f"  {side}: {len(millis)} batches, billed median {results[side]['median']} ms "
                  f"({results[side]['min']}–{results[side]['max']}), {launched} tasks, {failed} records failed", file=sys.stderr)
        ours, peer = results["ours"], results["peer"]
        return [{
            "figure": f"Lambda billed duration per 10-wish batch, AWS-like latency ({LATENCY} ms) and a {MEMORY_MB} MB function's CPU "
                      f"(median of {args.billed_wishes // 10})",
            "unit": "ms, lower is better", "ours": ours["median"], "peer": peer["median"], "peer_name": "Python + boto3, 10 threads",
            "ratio": peer["median"] / ours["median"], "target": "≥ 10× less than the peer", "met": peer["median"] / ours["median"] >= 10,
            "note": f"range ours {ours['min']}–{ours['max']} ms, peer {peer['min']}–{peer['max']} ms; tasks launched ours "
                    f"{ours['launched']}, peer {peer['launched']} of {args.billed_wishes} each; records failed ours {ours['failed']}, "
                    f"peer {peer['failed']}",
        }]
    finally:
        cloud.stop()
