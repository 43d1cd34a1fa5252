#!/usr/bin/env python3
"""Pull of a 5-layer image from a local docker-registry: berth against `podman pull` and against
`skopeo copy` + `umoci unpack`, alternating, each round into fresh storage.

Starts /usr/bin/docker-registry on 127.0.0.1 (plain HTTP), pushes an image made offline with
tests/tools/make_oci_image.py (five gzip layers of mixed text and binary files, about --mb MB
unpacked in all), then times each tool's full pull (download, verify, unpack) and reports medians
and the ratio of berth to the faster peer (issue 3's goal: at most 0.7x). Needs root (podman's
overlay storage, umoci keeping ownership) and build/bin/berth.
Usage: sudo python3 bench/pull.py [-n 5] [--mb 200] [--dir /var/tmp]
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
from unpack import make_tree  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_registry(work):
    port = free_port()
    cfg = os.path.join(work, "registry.yml")
    with open(cfg, "w") as f:
        f.write("version: 0.1\nlog: {level: error}\n"
                f"storage: {{filesystem: {{rootdirectory: {work}/registry}}}}\n"
                f"http: {{addr: 127.0.0.1:{port}, secret: bench}}\n")
    proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("pull.py: docker-registry did not start")


def make_image(work, port, total_mb):
    layout = os.path.join(work, "layout")
    tars = []
    for i in range(5):
        src = os.path.join(work, f"tree{i}")
        os.mkdir(src)
        make_tree(src, total_mb // 5)
        tar_path = os.path.join(work, f"layer{i}.tar")
        with tarfile.open(tar_path, "w") as t:
            t.add(src, arcname=f"layer{i}")
        shutil.rmtree(src)
        tars.append(tar_path)
    cmd = [sys.executable, os.path.join(REPO, "tests", "tools", "make_oci_image.py"), layout, "t"]
    for t in tars:
        cmd += ["--layer", t]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    ref = f"127.0.0.1:{port}/bench:1"
    subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", f"oci:{layout}:t",
                    f"docker://{ref}"], check=True)
    for t in tars:
        os.unlink(t)
    shutil.rmtree(layout)
    return ref


def timed(cmd, env=None):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return (time.perf_counter() - start) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--rounds", type=int, default=5)
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--dir", default="/var/tmp")
    args = ap.parse_args()
    berth = os.path.join(REPO, "build", "bin", "berth")
    if os.geteuid() != 0:
        sys.exit("pull.py: run as root")
    if not os.access(berth, os.X_OK):
        sys.exit(f"pull.py: build {berth} first (scripts/build.sh)")
    work = tempfile.mkdtemp(prefix="berth-bench-pull-", dir=args.dir)
    registry = None
    try:
        registry, port = start_registry(work)
        ref = make_image(work, port, args.mb)
        store = os.path.join(work, "store")

        def run_berth():
            return timed([berth, "--data-root", store, "--exec-root", store + "-exec", "pull", "-q", ref])

        def run_podman():
            return timed(["podman", "--root", store, "--runroot", store + "-run", "--storage-driver",
                          "overlay", "--events-backend", "none", "pull", "-q", "--tls-verify=false",
                          ref])

        def run_skopeo_umoci():
            layout = os.path.join(store, "layout")
            return timed(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{ref}",
                          f"oci:{layout}:t"]) + timed(
                ["umoci", "unpack", "--image", f"{layout}:t", os.path.join(store, "bundle")])

        tools = {"berth": run_berth, "podman pull": run_podman, "skopeo+umoci": run_skopeo_umoci}
        times = {name: [] for name in tools}
        for r in range(args.rounds):
            order = list(tools) if r % 2 == 0 else list(reversed(tools))
            for name in order:
                for d in (store, store + "-run", store + "-exec"):
                    subprocess.run(["umount", "-R", d], stderr=subprocess.DEVNULL)
                    shutil.rmtree(d, ignore_errors=True)
                os.makedirs(store)
                subprocess.run(["sync"])
                times[name].append(tools[name]())
        med = {name: statistics.median(v) for name, v in times.items()}
        faster_peer = min(("podman pull", "skopeo+umoci"), key=lambda n: med[n])
        print(f"pull of {ref}: 5 layers, ~{args.mb} MB unpacked, {args.rounds} rounds, alternating")
        for name, v in times.items():
            print(f"  {name:14s} median {med[name]:8.0f} ms   (min {min(v):.0f}, max {max(v):.0f})")
        print(f"  berth / {faster_peer}: {med['berth'] / med[faster_peer]:.2f}x   "
              f"berth / podman: {med['berth'] / med['podman pull']:.2f}x   "
              f"berth / skopeo+umoci: {med['berth'] / med['skopeo+umoci']:.2f}x")
    finally:
        if registry:
            registry.kill()
        for d in ("store", "store-run", "store-exec"):
            subprocess.run(["umount", "-R", os.path.join(work, d)], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
