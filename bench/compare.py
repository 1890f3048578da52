"""Measures Wishes beside its peers, figure by figure, and reports the ratios.

Each figure runs ours and the peer in the same run (alternating where it repeats), so ratios hold
even where absolute times on a shared machine are noisy. Writes the table to bench/RESULTS.md.
"""
import argparse
import datetime
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from figures import billed, calls, click, cold_start, dispatch, fargate_limit, lambda_zip, priority, signing, web  # noqa: E402

FIGURES = {"signing": signing, "calls": calls, "lambda-zip": lambda_zip, "cold-start": cold_start, "dispatch": dispatch, "billed": billed, "fargate-limit": fargate_limit,
           "priority": priority, "click": click, "web": web}


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


def number(value):
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def table(rows):
    lines = ["| figure | Wishes | peer | ratio | target | met |", "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        peer = f"{number(row.get('peer'))} ({row['peer_name']})" if row.get("peer") is not None else "–"
        ratio = f"{row['ratio']:.1f}×" if row.get("ratio") else "–"
        lines.append(f"| {row['figure']} ({row['unit']}) | {number(row['ours'])} | {peer} | {ratio} | {row['target']} "
                     f"| {'yes' if row['met'] else 'no'} |")
    notes = [f"- {row['figure']}: {row['note']}" for row in rows if row.get("note")]
    return "\n".join(lines + ([""] + notes if notes else []))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="folder of the release binaries")
    parser.add_argument("--seconds", type=float, default=2.0, help="per side and round, for rate figures")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-starts", type=int, default=20)
    parser.add_argument("--wishes", type=int, default=10000, help="wishes per side for the dispatch figure")
    parser.add_argument("--billed-wishes", type=int, default=200, help="wishes per side for the billed duration figure")
    parser.add_argument("--limit-wishes", type=int, default=10000, help="wishes for the Fargate limit figure")
    parser.add_argument("--limit-scale", type=int, default=1,
                        help="multiplies Fargate's bucket (100 burst, 20/s) to shorten the limit figure; moto caps what helps")
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--lambda-zip", help="the zip deploy/package-lambda wrote (default: lambda/make-a-wish.zip beside --bin)")
    parser.add_argument("--web-seconds", type=int, default=10)
    parser.add_argument("figures", nargs="*", default=list(FIGURES))
    args = parser.parse_args()
    args.here = HERE
    unknown = [name for name in args.figures if name not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; known: {', '.join(FIGURES)}")
    rows = []
    for name in args.figures:
        print(f"measuring {name} ...", file=sys.stderr)
        try:
            rows.extend(FIGURES[name].measure(args))
        except Exception as error:  # one broken figure must not hide the others
            rows.append({"figure": name, "unit": "–", "ours": None, "peer": None, "peer_name": "", "ratio": None,
                         "target": "–", "met": False, "note": f"could not be measured: {error!r}"})
    text = table(rows)
    print(text)
    if set(args.figures) != set(FIGURES):
        print("(a subset of the figures: bench/RESULTS.md keeps the last full run)", file=sys.stderr)
        return
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(os.path.join(HERE, "RESULTS.md"), "w") as out:
        command = " ".join(["bench/run", *sys.argv[3:]])
        out.write(f"# Benchmark results\n\nMeasured {stamp} by `{command}` on {machine()}.\n"
                  f"Release binaries built with `--static-swift-stdlib`, as deployed.\n\n{text}\n")


if __name__ == "__main__":
    main()
