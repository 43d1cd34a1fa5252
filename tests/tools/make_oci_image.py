#!/usr/bin/env python3
"""Writes an OCI image layout (skopeo reads it as oci:DIR:TAG) from layer tarballs, offline.

  make_oci_image.py DIR TAG [--layer TAR]... [--random-layer MB]... [--cmd ARG]... [--env K=V]...
                    [--compress gzip|none] [--media-type TYPE]

--layer adds a tarball as it is (compressed by --compress); --random-layer adds a layer of one file
of MB incompressible bytes (made with os.urandom), for size tests. Layers go bottom first, in the
order given. Prints the manifest digest.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import time


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + digest


def random_layer_tar(megabytes, index):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("data")
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        data = os.urandom(megabytes * 1024 * 1024)
        info = tarfile.TarInfo("data/blob-%d" % index)
        info.size = len(data)
        info.mode = 0o644
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("layout")
    p.add_argument("tag")
    p.add_argument("--layer", action="append", default=[], dest="layers")
    p.add_argument("--random-layer", action="append", default=[], type=int, dest="random_layers")
    p.add_argument("--cmd", action="append", default=[])
    p.add_argument("--env", action="append", default=["PATH=/bin:/usr/bin"])
    p.add_argument("--compress", choices=["gzip", "none"], default="gzip")
    p.add_argument("--media-type", default=None, help="layer media type to declare")
    args = p.parse_args()

    os.makedirs(os.path.join(args.layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(args.layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)

    tars = [open(t, "rb").read() for t in args.layers]
    tars += [random_layer_tar(mb, i) for i, mb in enumerate(args.random_layers)]
    layers, diff_ids, history = [], [], []
    for raw in tars:
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        if args.compress == "gzip":
            data = gzip.compress(raw, compresslevel=1, mtime=0)
            media = args.media_type or "application/vnd.oci.image.layer.v1.tar+gzip"
        else:
            data = raw
            media = args.media_type or "application/vnd.oci.image.layer.v1.tar"
        layers.append({"mediaType": media, "digest": put_blob(args.layout, data), "size": len(data)})
        history.append({"created": "2024-01-01T00:00:00Z", "created_by": "make_oci_image.py"})

    config = {
        "created": "2024-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": args.env, "Cmd": args.cmd or ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put_blob(args.layout, config_bytes), "size": len(config_bytes)},
        "layers": layers,
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    manifest_digest = put_blob(args.layout, manifest_bytes)

    index_path = os.path.join(args.layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != args.tag]
    index["manifests"].append({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest_digest, "size": len(manifest_bytes),
        "annotations": {"org.opencontainers.image.ref.name": args.tag}})
    with open(index_path, "w") as f:
        json.dump(index, f)
    print(manifest_digest)


if __name__ == "__main__":
    sys.exit(main())
