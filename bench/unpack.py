#!/usr/bin/env python3
"""Layer unpack throughput: berth's unpack against `tar -x` of the same layer, alternating.

Makes a layer of many files (text, binary, small and large, dirs, symlinks, hard links), plain and
gzip, then unpacks each with both in turn into fresh directories on the same filesystem, and
reports medians and the ratio (issue 3's goal: berth at most 1.2x tar). Needs build/bin/berth-bench-unpack.
Usage: python3 bench/unpack.py [-n 7] [--mb 50] [--dir /dev/shm]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_tree(root, total_mb):
    rnd = open("/dev/urandom", "rb")
    written, i = 0, 0
    while written < total_mb * 1024 * 1024:
        d = os.path.join(root, f"d{i // 50}", f"e{i % 7}")
        os.makedirs(d, exist_ok=True)
        size = 200 if i % 10 else 256 * 1024
        data = rnd.read(size) if i % 3 == 0 else (b"line of text %d\n" % i) * (size // 16)
        with open(os.path.join(d, f"f{i}"), "wb") as f:
            f.write(data)
        if i % 97 == 0:
            os.symlink(f"f{i}", os.path.join(d, f"s{i}"))
        if i % 89 == 0:
            os.link(os.path.join(d, f"f{i}"), os.path.join(d, f"h{i}"))
        written += len(data)
        i += 1
    return i


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--rounds", type=int, default=7)
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--dir", default="/dev/shm")
    args = ap.parse_args()
    tool = os.path.join(REPO, "build", "bin", "berth-bench-unpack")
    if not os.access(tool, os.X_OK):
        sys.exit(f"unpack.py: build {tool} first (scripts/build.sh)")
    work = tempfile.mkdtemp(prefix="berth-bench-unpack-", dir=args.dir)
    try:
        src = os.path.join(work, "src")
        os.mkdir(src)
        files = make_tree(src, args.mb)
        layers = {}
        for kind, mode in (("tar", "w"), ("tar.gz", "w:gz")):
            path = os.path.join(work, f"layer.{kind}")
            with tarfile.open(path, mode) as t:
                t.add(src, arcname=".")
            layers[kind] = path
        shutil.rmtree(src)
        print(f"layer: {files} files, {args.mb} MB of content, unpacked under {args.dir}")
        print(f"{'layer':8s} {'berth ms':>9s} {'tar -x ms':>10s} {'ratio':>6s}")
        for kind, path in layers.items():
            times = {"berth": [], "tar": []}
            for r in range(args.rounds):
                order = ["berth", "tar"] if r % 2 == 0 else ["tar", "berth"]
                for who in order:
                    target = os.path.join(work, f"out-{who}")
                    os.mkdir(target)
                    cmd = [tool, path, target] if who == "berth" else ["tar", "-x", "-f", path, "-C", target]
                    times[who].append(timed(cmd))
                    shutil.rmtree(target)
            b, t = statistics.median(times["berth"]), statistics.median(times["tar"])
            print(f"{kind:8s} {b:9.1f} {t:10.1f} {b / t:5.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
