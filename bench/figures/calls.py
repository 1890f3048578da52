"""S3 round trips per wish on each path, counted by `WishesBench calls` on the in-memory store (the same
code as in AWS; every GET, PUT, DELETE and LIST is one call). The peer column is the code before the
store seam (faffd97), whose paths the in-memory store cannot run: its calls are counted from that
code, path by path, in BEFORE's comments."""
import os

from lib.processes import run_json_lines

# Calls at faffd97 for the same scenario as `WishesBench calls`, and how they add up.
BEFORE = {
    # secrets PUT, spec PUT, status GET (always 404) + PUT, index PUT: five, one after the other
    "calls: submit (store the wish; the SQS send is one more)": 5,
    # spec GET, status GET + PUT (RUNNING), secrets GET, output PUT, result PUT, status GET + PUT (the
    # outcome a second time); and a GET of the task metadata endpoint for the ARN RunTask had returned
    "calls: task (one attempt of a command)": 8,
    # result GET, status GET + PUT, secrets DELETE, dependents LIST, spec GET (callback), status
    # GET + PUT (settled), in-flight DELETE; now the settled write starts from the version the
    # decision wrote, without a GET
    "calls: dispatch of a task's STOPPED event (the wish ends)": 9,
    # spec GET then status GET, one result GET per attempt in turn, status GET again and the whole
    # output (up to 1 MiB) for an 8 KiB tail
    "calls: page refresh (detail and output tail)": 5,
    # done-marker PUT, spec GET, then a LIST of every marker: 9,001 markers are 10 pages of 1,000
    "calls: one array child's end counted (10,000 children, 9,000 ended)": 12,
}


def measure(args):
    rows = []
    for line in run_json_lines([os.path.join(args.bin, "WishesBench"), "calls"]):
        before = BEFORE.get(line["name"])
        rows.append({
            "figure": line["name"], "unit": "S3 calls, fewer is better", "ours": line["value"],
            "peer": before, "peer_name": "faffd97, counted from its code", "ratio": before / line["value"] if before else None,
            "target": "fewer than before", "met": before is not None and line["value"] < before,
        })
    return rows
