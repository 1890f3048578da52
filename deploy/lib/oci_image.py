#!/usr/bin/env python3
"""Writes the Wishes image as an OCI image layout (oci-layout, index.json, blobs/sha256/...), no engine needed.

One layer: /opt/wishes/{MakeAWish,CountToThree,Web} (0755), the CA bundle at Amazon Linux 2023's path
/etc/pki/tls/certs/ca-bundle.crt (0644) and /etc/ssl/certs/ca-certificates.crt as a symlink to it. Nothing
else: no shell, no libc. Deterministic: entries sorted, owner 0:0, mtime SOURCE_DATE_EPOCH (0 if unset),
gzip without name or time, JSON with sorted keys, so the same inputs give the same digests.
Called by deploy/build-image, which checks the binaries first; prints the manifest's digest.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time

BINARIES = ("MakeAWish", "CountToThree", "Web")
CA_PATH = "etc/pki/tls/certs/ca-bundle.crt"
CA_LINK = "etc/ssl/certs/ca-certificates.crt"


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def layer_tar(binaries, ca_bundle, mtime):
    """The uncompressed layer: (path, kind, mode, data or link target), written in sorted order."""
    entries = {}

    def parents(path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            entries.setdefault("/".join(parts[:i]), ("dir", 0o755, None))

    for name, source in binaries.items():
        path = "opt/wishes/" + name
        parents(path)
        with open(source, "rb") as f:
            entries[path] = ("file", 0o755, f.read())
    parents(CA_PATH)
    with open(ca_bundle, "rb") as f:
        entries[CA_PATH] = ("file", 0o644, f.read())
    parents(CA_LINK)
    entries[CA_LINK] = ("symlink", 0o777, os.path.relpath(CA_PATH, os.path.dirname(CA_LINK)))

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(entries):
            kind, mode, payload = entries[path]
            info = tarfile.TarInfo(path)
            info.mode, info.mtime = mode, mtime
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                tar.addfile(info)
            else:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return out.getvalue()


def gzip_deterministic(data):
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="folder with MakeAWish, CountToThree and Web")
    parser.add_argument("--ca-bundle", required=True)
    parser.add_argument("--out", required=True, help="the OCI layout's folder (replaced)")
    parser.add_argument("--tag", required=True)
    args = parser.parse_args()

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    binaries = {name: os.path.join(args.bin, name) for name in BINARIES}

    tar = layer_tar(binaries, args.ca_bundle, epoch)
    layer = gzip_deterministic(tar)
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()

    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "User": "10001",
            "Entrypoint": ["/opt/wishes/MakeAWish"],
            "ExposedPorts": {"8080/tcp": {}},
            "Env": [
                "PATH=/opt/wishes:/usr/local/bin:/usr/bin:/bin",
                "SSL_CERT_FILE=/" + CA_PATH,
            ],
            "WorkingDir": "/",
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": "deploy/build-image"}],
    }
    config_blob = canonical(config)

    def descriptor(media_type, blob):
        return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(blob).hexdigest(), "size": len(blob)}

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config_blob),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)],
    }
    manifest_blob = canonical(manifest)
    manifest_descriptor = descriptor(manifest["mediaType"], manifest_blob)
    manifest_descriptor["platform"] = {"architecture": "amd64", "os": "linux"}
    manifest_descriptor["annotations"] = {"org.opencontainers.image.ref.name": args.tag}
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [manifest_descriptor],
    }

    # Written beside the target, then swapped in, so a failed run leaves no half layout.
    out = os.path.abspath(args.out)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".oci-", dir=parent)
    try:
        blobs = os.path.join(staging, "blobs", "sha256")
        os.makedirs(blobs)
        for blob in (layer, config_blob, manifest_blob):
            with open(os.path.join(blobs, hashlib.sha256(blob).hexdigest()), "wb") as f:
                f.write(blob)
        with open(os.path.join(staging, "oci-layout"), "wb") as f:
            f.write(canonical({"imageLayoutVersion": "1.0.0"}))
        with open(os.path.join(staging, "index.json"), "wb") as f:
            f.write(canonical(index))
        os.chmod(staging, 0o755)
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    total = len(layer) + len(config_blob) + len(manifest_blob)
    print(json.dumps({
        "digest": manifest_descriptor["digest"],
        "size": total,
        "layer_size": len(layer),
        "uncompressed_size": len(tar),
    }))


if __name__ == "__main__":
    sys.exit(main())
