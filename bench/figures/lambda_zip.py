"""The Lambda package as deploy/package-lambda makes it (`--lambda-zip`, by default the one beside the
release folder): its size zipped and its bootstrap's size unpacked."""
import os
import zipfile

TARGET = 10_000_000


def measure(args):
    path = args.lambda_zip or os.path.join(os.path.dirname(os.path.abspath(args.bin)), "lambda", "make-a-wish.zip")
    if not os.path.exists(path):
        raise RuntimeError(f"{path} is missing: run deploy/package-lambda (bench/run does)")
    size = os.path.getsize(path)
    with zipfile.ZipFile(path) as archive:
        entry = archive.getinfo("bootstrap")
        mode = entry.external_attr >> 16
    return [{
        "figure": "Lambda zip (deploy/package-lambda)", "unit": "MB, lower is better", "ours": size / 1e6, "peer": None,
        "peer_name": "", "ratio": None, "target": "≤ 10 MB", "met": size <= TARGET and mode & 0o111 != 0,
        "note": f"{size:,} bytes; bootstrap {entry.file_size:,} bytes unpacked, mode {oct(mode & 0o777)}",
    }]
