"""Dispatch under Fargate's launch limit: the local Fargate's bucket of 100 tasks refilled at 20 per
second, and more wishes than it allows at once. Throttled records come back (here after 1 s, where SQS
would wait out the visibility timeout). How close to the limit launches run, none lost, none twice."""
import os
import random
import sys
import time

from figures.dispatch import dispatch, store_wishes
from lib.cloud import LocalCloud

BURST, RATE = 100, 20


def measure(args):
    burst, rate = BURST * args.limit_scale, RATE * args.limit_scale
    cloud = LocalCloud(args.bin, "--no-web", "--instances", "1", "--launch-burst", str(burst), "--launch-rate", str(rate),
                       "--task-executable", "/bin/true", "--no-task-events", "--schedule-seconds", "3600")
    try:
        bucket = f"bench-limit-{random.randrange(1 << 30)}"
        ids = store_wishes(cloud, bucket, args.limit_wishes)
        cpu, wall, rss, api = dispatch(cloud, args.bin, [os.path.join(args.bin, "MakeAWish")], bucket, ids, redelivery_delay=1.0)
        stats = cloud.stats()
        allowed = burst + rate * wall
        share = min(args.limit_wishes, allowed)
        percent = args.limit_wishes / share * 100
        exact = stats["tasksLaunched"] == args.limit_wishes and stats["distinctStartedBy"] == args.limit_wishes
        print(f"  {args.limit_wishes} wishes in {wall:.1f} s; {stats['throttled']} throttled RunTask calls; "
              f"{api.redelivered} records redelivered", file=sys.stderr)
        return [{
            "figure": f"dispatch under Fargate's limit ({burst} burst, {rate}/s; {args.limit_wishes} wishes)",
            "unit": "% of the launches the limit allowed", "ours": percent, "peer": None, "peer_name": "", "ratio": None,
            "target": "≥ 95 %, 0 lost, 0 twice", "met": percent >= 95 and exact,
            "note": f"{stats['tasksLaunched']} tasks for {args.limit_wishes} wishes ({stats['distinctStartedBy']} distinct attempts) "
                    f"in {wall:.1f} s, where the limit allowed {allowed:.0f}; {stats['throttled']} RunTask calls throttled, "
                    f"{api.redelivered} records came back",
        }]
    finally:
        cloud.stop()
