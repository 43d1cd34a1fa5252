#!/usr/bin/env python3
"""Time `run --rm IMAGE true` of berth against docker and podman, alternating; then the memory
of berth's monitors with N containers started with -d. With --exec, time `exec CONTAINER true`
into a running container instead, and berth's exec into a container with CAP_SYS_PTRACE as a
contender of its own (berth then runs again from a read-only mount of its binary first).

The image is the same busybox-static rootfs for all three, imported offline (`berth import`,
`docker import`, `podman import`). dockerd (docker.io) and podman keep all their state in a temp
dir: the script runs itself in a private mount namespace in which /run, /var/lib/containers and
/etc/docker are empty temp folders, so nothing of the machine's is touched and nothing is left.
dockerd runs with overlay2, podman with overlay, berth with its overlay snapshotter.

Each round runs every contender once, in an order that rotates each round, each run after a
pause (--settle) so that no contender is timed while another's daemon is still cleaning up. Reported: median, p10
and p90 wall time per contender (spawn to exit of the CLI), and berth's median over each peer's.
Goal (issue 4): berth <= 0.15x docker's median.

Usage (root): python3 bench/container_run.py [-n ROUNDS] [--monitors N] [--settle S] [--exec]
              [--no-docker] [--no-podman]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
APPLETS = "sh ls cat id sleep ps echo true false env".split()


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def make_rootfs_tar(tmp):
    root = os.path.join(tmp, "rootfs")
    for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "root"]:
        os.makedirs(os.path.join(root, d))
    shutil.copy("/bin/busybox", os.path.join(root, "bin/busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(root, "bin", a))
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("root:x:0:\n")
    tar = os.path.join(tmp, "rootfs.tar")
    sh("tar", "-C", root, "--numeric-owner", "-cf", tar, ".")
    return tar


def private_namespace(tmp):
    """Re-exec in a mount namespace with /run, /var/lib/containers and /etc/docker private."""
    if os.environ.get("BERTH_BENCH_NS") == "1":
        return
    os.environ["BERTH_BENCH_NS"] = "1"
    os.environ["BERTH_BENCH_TMP"] = tmp
    script = (
        "mount --make-rprivate / && "
        f"for d in run var/lib/containers etc/docker; do mkdir -p {tmp}/ns/$d /$d && "
        f"mount --bind {tmp}/ns/$d /$d; done && exec \"$@\""
    )
    rc = subprocess.call(["unshare", "-m", "sh", "-c", script, "sh", sys.executable] + sys.argv)
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(rc)


class Docker:
    name = "docker run --rm"

    def __init__(self, tmp, tar):
        self.dir = os.path.join(tmp, "docker")
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "docker.sock")
        with open(os.path.join(self.dir, "daemon.json"), "w") as f:
            f.write('{"deprecated-key-path": "%s/key.json"}' % self.dir)
        self.log = open(os.path.join(self.dir, "dockerd.log"), "w")
        self.proc = subprocess.Popen(
            ["dockerd", "--config-file", f"{self.dir}/daemon.json", "--data-root",
             f"{self.dir}/data", "--exec-root", f"{self.dir}/exec", "--pidfile",
             f"{self.dir}/dockerd.pid", "-H", f"unix://{self.sock}", "--iptables=false",
             "--ip6tables=false", "--bridge=none", "--ip-masq=false", "--storage-driver",
             "overlay2", "--cgroup-parent", "/berth-bench-docker"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        for _ in range(150):
            if self.cli("version").returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("dockerd did not start: see " + self.log.name)
        sh("docker", "-H", f"unix://{self.sock}", "import", tar, "bench-busybox:latest",
           stdout=subprocess.DEVNULL)
        self.argv = ["docker", "-H", f"unix://{self.sock}", "run", "--rm", "--network", "none",
                     "bench-busybox:latest", "true"]

    def exec_mode(self):
        self.name = "docker exec"
        sh("docker", "-H", f"unix://{self.sock}", "run", "-d", "--network", "none", "--name",
           "bench-exec", "bench-busybox:latest", "sleep", "100000", stdout=subprocess.DEVNULL)
        self.argv = ["docker", "-H", f"unix://{self.sock}", "exec", "bench-exec", "true"]

    def cli(self, *args):
        return subprocess.run(["docker", "-H", f"unix://{self.sock}", *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def close(self):
        self.cli("rm", "-f", "bench-exec")
        self.proc.terminate()
        self.proc.wait(timeout=60)


class Podman:
    name = "podman run --rm"

    def __init__(self, tmp, tar):
        self.dir = os.path.join(tmp, "podman")
        for d in ["root", "runroot", "tmp"]:
            os.makedirs(os.path.join(self.dir, d))
        self.flags = ["--root", f"{self.dir}/root", "--runroot", f"{self.dir}/runroot",
                      "--tmpdir", f"{self.dir}/tmp", "--storage-driver", "overlay",
                      "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
        sh("podman", *self.flags, "import", tar, "localhost/bench-busybox:latest",
           stdout=subprocess.DEVNULL)
        # crun 1.8 refuses hybrid cgroups; this machine lacks CAP_SYS_RESOURCE for podman's
        # default rlimits.
        self.run = ["podman", *self.flags, "--runtime", "runc", "run", "--network", "none",
                    "--cgroup-parent", "/berth-bench-podman", "--ulimit", "nofile=20000:20000",
                    "--ulimit", "nproc=20000:20000"]
        self.argv = [*self.run, "--rm", "localhost/bench-busybox:latest", "true"]

    def exec_mode(self):
        self.name = "podman exec"
        sh(*self.run, "-d", "--name", "bench-exec", "localhost/bench-busybox:latest", "sleep",
           "100000", stdout=subprocess.DEVNULL)
        self.argv = ["podman", *self.flags, "--runtime", "runc", "exec", "bench-exec", "true"]

    def close(self):
        subprocess.run(["podman", *self.flags, "rm", "-f", "-t", "0", "bench-exec"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Berth:
    name = "berth run --rm"

    def __init__(self, tmp, tar, binary):
        self.dir = os.path.join(tmp, "berth")
        self.flags = ["--data-root", f"{self.dir}/data", "--exec-root", f"{self.dir}/exec",
                      "--config-file", f"{self.dir}/daemon.json"]
        os.makedirs(self.dir)
        with open(f"{self.dir}/daemon.json", "w") as f:
            f.write("{}")
        self.binary = binary
        sh(binary, *self.flags, "import", tar, "bench-busybox:latest", stdout=subprocess.DEVNULL)
        self.argv = [binary, *self.flags, "run", "--rm", "bench-busybox:latest", "true"]
        self.containers = []

    def exec_mode(self, name="bench-exec", run_flags=(), label=""):
        self.name = "berth exec" + label
        sh(self.binary, *self.flags, "run", "-d", "--name", name, *run_flags,
           "bench-busybox:latest", "sleep", "100000", stdout=subprocess.DEVNULL)
        self.containers.append(name)
        self.argv = [self.binary, *self.flags, "exec", name, "true"]

    def close(self):
        if self.containers:
            subprocess.run([self.binary, *self.flags, "rm", "-f", *self.containers],
                           stdout=subprocess.DEVNULL)


def timed(argv):
    t = time.perf_counter()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = (time.perf_counter() - t) * 1000
    if r.returncode != 0:
        raise RuntimeError(f"{argv}: exit {r.returncode}: {r.stderr.decode()[-500:]}")
    return elapsed


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def memory_kib(pid):
    """PSS (shared pages divided among their users) and USS (pages of this process alone)."""
    pss = uss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                uss += int(line.split()[1])
    return pss, uss


def monitors(berth, n):
    """n containers with -d: wall time, then the PSS of each monitor."""
    t = time.perf_counter()
    ids = []
    for _ in range(n):
        r = subprocess.run([berth.binary, *berth.flags, "run", "-d", "bench-busybox:latest",
                            "sleep", "1000"], check=True, capture_output=True, text=True)
        ids.append(r.stdout.strip())
    wall = time.perf_counter() - t
    pss, uss = [], []
    for cid in ids:
        out = subprocess.run(["pgrep", "-f", f"berth-monitor {berth.dir}/exec/containers/{cid}"],
                             capture_output=True, text=True).stdout.split()
        for p in out:
            a, b = memory_kib(int(p))
            pss.append(a)
            uss.append(b)
    subprocess.run([berth.binary, *berth.flags, "rm", "-f", *ids], stdout=subprocess.DEVNULL,
                   check=True)
    return wall, pss, uss


def remove_empty_cgroups(names):
    """The parent cgroups the three engines made, once their containers are gone."""
    for name in names:
        for top in ["/sys/fs/cgroup"] + [os.path.join("/sys/fs/cgroup", d)
                                         for d in os.listdir("/sys/fs/cgroup")]:
            d = os.path.join(top, name)
            if os.path.isdir(d):
                subprocess.run(["find", d, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"],
                               stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--rounds", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--monitors", type=int, default=100)
    ap.add_argument("--no-docker", action="store_true")
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--berth", default=os.path.join(REPO, "build/bin/berth"))
    ap.add_argument("--exec", action="store_true",
                    help="time exec into a running container instead of run --rm")
    # dockerd removes a --rm container after its CLI has returned, and that work (and podman's)
    # fell on whichever contender ran next: each run starts after a pause instead.
    ap.add_argument("--settle", type=float, default=0.25,
                    help="seconds of pause before each timed run (0: back to back)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("container_run.py: run as root")
    tmp = os.environ.get("BERTH_BENCH_TMP") or tempfile.mkdtemp(prefix="berth-bench-run.")
    private_namespace(tmp)

    tar = make_rootfs_tar(tmp)
    contenders = [Berth(tmp, tar, args.berth)]
    try:
        if not args.no_docker and shutil.which("dockerd"):
            contenders.append(Docker(tmp, tar))
        if not args.no_podman and shutil.which("podman"):
            contenders.append(Podman(tmp, tar))
        if args.exec:
            for c in contenders:
                c.exec_mode()
            traced = Berth(tmp + "/ptrace", tar, args.berth)
            contenders.insert(1, traced)
            traced.exec_mode("bench-exec-ptrace", ["--cap-add", "SYS_PTRACE"],
                             " (CAP_SYS_PTRACE: re-exec)")
        times = {c.name: [] for c in contenders}
        for r in range(args.warmup + args.rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for c in order:
                time.sleep(args.settle)
                ms = timed(c.argv)
                if r >= args.warmup:
                    times[c.name].append(ms)
        print(f"{args.rounds} rounds after {args.warmup} warm-up rounds, alternating, "
              f"{args.settle:g} s pause before each run; load {os.getloadavg()[0]:.1f}\n")
        print("| contender | median ms | p10 ms | p90 ms |")
        print("|---|---|---|---|")
        for c in contenders:
            t = times[c.name]
            print(f"| {c.name} | {statistics.median(t):.1f} | {pct(t, 0.1):.1f} | "
                  f"{pct(t, 0.9):.1f} |")
        subject = statistics.median(times[contenders[0].name])
        for c in contenders[1:]:
            ratio = subject / statistics.median(times[c.name])
            goal = "  (goal <= 0.15x)" if isinstance(c, Docker) and not args.exec else ""
            print(f"\nberth / {c.name}: {ratio:.3f}x{goal}")
        if args.monitors > 0 and not args.exec:
            wall, pss, uss = monitors(contenders[0], args.monitors)
            print(f"\n{args.monitors} x `berth run -d IMAGE sleep 1000`: {wall:.2f} s "
                  f"({wall / args.monitors * 1000:.1f} ms each)")
            print(f"monitor PSS: median {statistics.median(pss):.0f} KiB, "
                  f"mean {statistics.mean(pss):.0f} KiB, max {max(pss)} KiB over {len(pss)} "
                  "monitors (goal <= 1024 KiB)")
            print(f"monitor USS (its own pages): median {statistics.median(uss):.0f} KiB, "
                  f"max {max(uss)} KiB")
    finally:
        for c in contenders:
            c.close()
        remove_empty_cgroups(["berth", "berth-bench-docker", "berth-bench-podman"])


if __name__ == "__main__":
    main()
