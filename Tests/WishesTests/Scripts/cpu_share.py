"""Spins for a second of wall time and prints, as JSON, the share of one CPU it got: what a function
under `LocalCloud runtime-api --memory-size MB` may use (MB / 1769 of a vCPU, as Lambda gives), or a
wish's command in a local Fargate task (its size's vCPUs), and its cpu cgroups (v1's cpu hierarchy
and v2's)."""
import json
import time

started, cpu = time.monotonic(), time.process_time()
while time.monotonic() - started < 1.0:
    pass
cgroups = [line.split(":", 2)[2] for line in open("/proc/self/cgroup").read().splitlines() if line.split(":")[1] in ("cpu", "")]
print(json.dumps({"share": (time.process_time() - cpu) / (time.monotonic() - started), "cgroups": cgroups}), flush=True)
