"""SigV4 signatures per second: WishesBench and botocore sign the same SQS request, in alternating rounds."""
import os
import statistics
import sys

from lib.processes import run_json


def measure(args):
    seconds = str(args.seconds)
    ours = [os.path.join(args.bin, "WishesBench"), "sign", "--seconds", seconds]
    peer = [sys.executable, os.path.join(args.here, "peers", "sign_botocore.py"), "--seconds", seconds]
    rounds = {"ours": [], "peer": []}
    for _ in range(args.rounds):
        rounds["ours"].append(run_json(ours)["value"])
        rounds["peer"].append(run_json(peer)["value"])
    ours_value, peer_value = statistics.median(rounds["ours"]), statistics.median(rounds["peer"])
    return [{
        "figure": "signing (SigV4, SQS request with body hash)", "unit": "signatures/s, higher is better",
        "ours": ours_value, "peer": peer_value, "peer_name": "botocore SigV4Auth", "ratio": ours_value / peer_value,
        "target": "≥ 20× botocore", "met": ours_value / peer_value >= 20,
    }]
