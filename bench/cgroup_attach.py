#!/usr/bin/env python3
"""How long the kernel takes to move a fresh process into a cgroup, per cgroup hierarchy.

On cgroup v1 (and the v1 side of a hybrid machine) the first move waits for an RCU grace
period inside the kernel (cgroup_threadgroup_rwsem); every container runtime pays it once per
container start, rootful, since the devices controller is always used. This is the floor under
berth-runtime's start time on such a machine, and why `unshare` (no cgroups) is much faster.
Usage (root): python3 bench/cgroup_attach.py [-n 50]
"""
import argparse
import os
import statistics
import sys
import time

ROOT = "/sys/fs/cgroup"


def hierarchies():
    out = []
    for name in sorted(os.listdir(ROOT)):
        procs = os.path.join(ROOT, name, "cgroup.procs")
        if os.path.exists(procs):
            out.append(name)
    if os.path.exists(os.path.join(ROOT, "cgroup.procs")):
        out.append(".")
    return out


def attach_ms(hierarchy, rounds):
    base = os.path.join(ROOT, hierarchy, f"berth-bench-attach-{os.getpid()}")
    os.mkdir(base)
    if hierarchy == "cpuset":  # a new v1 cpuset takes no task until it has cpus and mems
        for key in ("cpuset.cpus", "cpuset.mems"):
            with open(os.path.join(ROOT, hierarchy, key)) as src, open(os.path.join(base, key), "w") as dst:
                dst.write(src.read())
    samples = []
    try:
        for _ in range(rounds):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(w)
                os.read(r, 1)
                os._exit(0)
            os.close(r)
            start = time.perf_counter()
            with open(os.path.join(base, "cgroup.procs"), "w") as f:
                f.write(str(pid))
            samples.append((time.perf_counter() - start) * 1000)
            os.close(w)
            os.waitpid(pid, 0)
            time.sleep(0.05)  # let the grace-period state go idle again, as between two starts
    finally:
        os.rmdir(base)
    return samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--rounds", type=int, default=30)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("cgroup_attach: run as root")
    print(f"{'hierarchy':12s} {'median ms':>10s} {'p10':>7s} {'p90':>7s}")
    for h in hierarchies():
        s = sorted(attach_ms(h, args.rounds))
        p10, p90 = s[len(s) // 10], s[(len(s) * 9) // 10]
        print(f"{h:12s} {statistics.median(s):10.2f} {p10:7.2f} {p90:7.2f}")


if __name__ == "__main__":
    main()
