"""Runs each figure for Wishes and for its peer in alternation, and reports medians and their ratio.

Alternating rounds (ours, peer, ours, peer, ...) share whatever else the machine is doing, so the
ratio holds even where absolute times are noisy. Writes the table to bench/RESULTS.md.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def figure_signing(args):
    seconds = str(args.seconds)
    ours = [os.path.join(args.bin, "WishesBench"), "sign", "--seconds", seconds]
    peer = [sys.executable, os.path.join(HERE, "peers", "sign_botocore.py"), "--seconds", seconds]
    rounds = {"ours": [], "peer": []}
    for _ in range(args.rounds):
        rounds["ours"].append(run_json(ours)["value"])
        rounds["peer"].append(run_json(peer)["value"])
    ours_value, peer_value = statistics.median(rounds["ours"]), statistics.median(rounds["peer"])
    return {
        "figure": "signing (SigV4, SQS request with body hash)",
        "unit": "signatures/s, higher is better",
        "ours": ours_value,
        "peer": peer_value,
        "peer_name": "botocore SigV4Auth",
        "ratio": ours_value / peer_value,
        "target": "≥ 20× botocore",
        "met": ours_value / peer_value >= 20,
    }


FIGURES = {"signing": figure_signing}


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def table(rows):
    lines = [
        "| figure | Wishes | peer | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['figure']} ({row['unit']}) | {row['ours']:,.0f} | {row['peer']:,.0f} ({row['peer_name']}) "
            f"| {row['ratio']:.1f}× | {row['target']} | {'yes' if row['met'] else 'no'} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("figures", nargs="*", default=list(FIGURES))
    args = parser.parse_args()
    unknown = [name for name in args.figures if name not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; known: {', '.join(FIGURES)}")
    rows = []
    for name in args.figures:
        print(f"measuring {name} ...", file=sys.stderr)
        rows.append(FIGURES[name](args))
    text = table(rows)
    print(text)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(os.path.join(HERE, "RESULTS.md"), "w") as out:
        out.write(
            "# Benchmark results\n\n"
            f"Measured {stamp} by `bench/run` on {machine()}.\n"
            f"Each figure is the median of {args.rounds} alternating rounds of {args.seconds:g} s per side.\n\n"
            f"{text}\n"
        )


if __name__ == "__main__":
    main()
