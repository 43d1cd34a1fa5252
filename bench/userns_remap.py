#!/usr/bin/env python3
"""Switching user-namespace remapping on for an image already in the store: berth against
Docker's --userns-remap, on disk use and first-start time (issue 5, "Done when" point 2).

The image: the busybox-static rootfs of container_run.py plus --extra-mib MiB of random files
under /extra (so that a copy of the layer would show in the disk use), imported offline
(`berth import`, `docker import`) with remapping OFF. Then remapping is switched ON with a user
the bench makes (berthbench<pid>, a 65536-id range appended to /etc/subuid and /etc/subgid under
`flock /etc`, as tests/integration/helpers.bash does), and what each engine needs before the
first `run --rm IMAGE true` is done and timed:

- berth: nothing. `berth --userns-remap=USER` on the same data root; the layers stay owned by
  real root on disk and are shared through idmapped mounts.
- docker: dockerd restarted with --userns-remap=USER. It keeps a separate store under
  <data-root>/<uid>.<gid> in which the image is not there, so it is imported again (a registry
  image would be pulled again), into layers chowned to the remapped root.

Disk use is `du -skx` of the data root (hard links counted once, as du does within one call;
one file system only, so nothing mounted below it counts). Reported: the store with the image
(remapping off), its growth after switching on and the first run --rm, and with one container
created. Times: the first run (docker: also dockerd's restart and the import again), median of
--trials fresh switch-ons in alternating engine order, then N further runs of each engine
(remapped; berth also without remapping) in rotating order: median, p10, p90.
Inside each engine's container the bench checks /proc/self/uid_map (container root is the
user's subordinate range) and that the image's files are owned by 0:0.

The script runs in a private mount namespace in which /run and /etc/docker are empty temp
folders; dockerd has its own data root and socket, --iptables=false --bridge=none. The user, its
ranges, dockerd and all data roots are removed at the end, also on Ctrl-C or an error.

Usage (root): python3 bench/userns_remap.py [-n RUNS] [--trials T] [--extra-mib M]
              [--no-docker] [--no-berth] [--berth PATH]
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the tree from the import below
from container_run import APPLETS, pct, remove_empty_cgroups  # noqa: E402

IMAGE = "bench-remap:latest"
USER_PREFIX = "berthbench"


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def timed(argv):
    """Wall ms of argv, spawn to exit; its stdout."""
    t = time.perf_counter()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    elapsed = (time.perf_counter() - t) * 1000
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.decode()[-800:]}")
    return elapsed, r.stdout.decode()


def copies(data, name="blob000"):
    """Owner uid:gid of every copy of the image file NAME in the data root."""
    out = subprocess.run(["find", data, "-xdev", "-name", name, "-printf", "%U:%G\\n"],
                         check=True, capture_output=True, text=True)
    return sorted(out.stdout.split())


def du_kib(path):
    out = subprocess.run(["du", "-skx", path], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[0])


# --- the user and its subordinate ranges (outside the private namespace) -----------------------

def locked_etc(fn):
    """fn() under flock on /etc itself, as helpers.bash does (no lock file left behind)."""
    import fcntl
    fd = os.open("/etc", os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fn()
    finally:
        os.close(fd)


def drop_ranges(user):
    def drop():
        for path in ["/etc/subuid", "/etc/subgid"]:
            if not os.path.exists(path):
                continue
            with open(path) as f:
                lines = f.readlines()
            keep = [ln for ln in lines if not ln.startswith(user + ":")]
            if keep != lines:
                with open(path, "w") as f:
                    f.writelines(keep)
    locked_etc(drop)


def remove_user(user):
    drop_ranges(user)
    subprocess.run(["userdel", user], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def remove_stale_users():
    """berthbench<pid> users of runs killed before their cleanup (pid gone)."""
    with open("/etc/passwd") as f:
        names = [ln.split(":")[0] for ln in f]
    for name in names:
        m = re.fullmatch(USER_PREFIX + r"(\d+)", name)
        if not m:
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue
        except ProcessLookupError:
            pass
        remove_user(name)


def make_user():
    """A user with one 65536-id range after every range already given out."""
    remove_stale_users()
    user = f"{USER_PREFIX}{os.getpid()}"
    if subprocess.run(["id", user], capture_output=True).returncode == 0:
        remove_user(user)
    sh("useradd", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", "-K",
       "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", user)

    def append():
        end = 1000000
        for path in ["/etc/subuid", "/etc/subgid"]:
            if os.path.exists(path):
                with open(path) as f:
                    for ln in f:
                        parts = ln.strip().split(":")
                        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                            end = max(end, int(parts[1]) + int(parts[2]))
        start = (end + 65535) // 65536 * 65536
        for path in ["/etc/subuid", "/etc/subgid"]:
            with open(path, "a") as f:
                f.write(f"{user}:{start}:65536\n")
        return start
    try:
        start = locked_etc(append)
    except BaseException:
        remove_user(user)
        raise
    return user, start


def outer(tmp):
    """Make the user, run the bench in a private mount namespace, then remove everything."""
    user, start = make_user()
    try:
        env = dict(os.environ, BERTH_BENCH_NS="1", BERTH_BENCH_TMP=tmp, BERTH_BENCH_USER=user,
                   BERTH_BENCH_SUBID=str(start))
        script = (
            "mount --make-rprivate / && "
            f"for d in run etc/docker; do mkdir -p {tmp}/ns/$d /$d && "
            f"mount --bind {tmp}/ns/$d /$d; done && exec \"$@\""
        )
        proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh", sys.executable]
                                + sys.argv, env=env)
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                pass  # the bench got it too and cleans up; wait for it
    finally:
        # A bench killed outright leaves dockerd behind in its namespace.
        pidfile = os.path.join(tmp, "docker", "dockerd.pid")
        if os.path.exists(pidfile):
            try:
                pid = int(open(pidfile).read().strip())
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() != "dockerd":
                        raise ValueError("not dockerd")
                os.kill(pid, signal.SIGTERM)
                for _ in range(300):
                    os.kill(pid, 0)
                    time.sleep(0.1)
            except (ValueError, OSError):
                pass
        remove_user(user)
        shutil.rmtree(tmp, ignore_errors=True)


# --- the image ---------------------------------------------------------------------------------

def make_rootfs_tar(tmp, extra_mib):
    root = os.path.join(tmp, "rootfs")
    for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "extra"]:
        os.makedirs(os.path.join(root, d))
    shutil.copy("/bin/busybox", os.path.join(root, "bin/busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(root, "bin", a))
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("root:x:0:\n")
    for i in range(extra_mib):
        with open(os.path.join(root, "extra", f"blob{i:03}"), "wb") as f:
            f.write(os.urandom(1 << 20))
    tar = os.path.join(tmp, "rootfs.tar")
    sh("tar", "-C", root, "--numeric-owner", "--owner=0", "--group=0", "-cf", tar, ".")
    shutil.rmtree(root)
    return tar


CHECK = "cat /proc/self/uid_map; ls -ln /bin/busybox /extra/blob000"


def check_inside(out, subid):
    """'0 SUBID 65536' as uid_map, and both files owned by 0:0."""
    lines = out.strip().splitlines()
    uid_map = " ".join(lines[0].split()) if lines else ""
    owners = [tuple(ln.split()[2:4]) for ln in lines[1:]]
    ok = uid_map == f"0 {subid} 65536" and len(owners) == 2 and all(
        o == ("0", "0") for o in owners)
    return ok, f"uid_map `{uid_map}`, image files owned " + \
        ", ".join(":".join(o) for o in owners)


# --- the engines -------------------------------------------------------------------------------

class Berth:
    name = "berth"

    def __init__(self, tmp, binary, user):
        self.base = os.path.join(tmp, "berth")
        os.makedirs(self.base)
        with open(f"{self.base}/daemon.json", "w") as f:
            f.write("{}")
        self.binary = binary
        self.user = user
        self.data = None

    def fresh(self, trial):
        self.data = f"{self.base}/data{trial}"
        self.exec = f"{self.base}/exec{trial}"

    def argv(self, remap, *args):
        flags = ["--data-root", self.data, "--exec-root", self.exec, "--config-file",
                 f"{self.base}/daemon.json"]
        if remap:
            flags.insert(0, f"--userns-remap={self.user}")
        return [self.binary, *flags, *args]

    def run_argv(self, remap=True):
        return self.argv(remap, "run", "--rm", IMAGE, "true")

    def switch_on(self, tar, subid, check):
        """Import with remapping off, then the first remapped run. Returns the figures."""
        r = {}
        r["import_ms"], _ = timed(self.argv(False, "import", tar, IMAGE))
        r["base_kib"] = du_kib(self.data)
        r["first_ms"], _ = timed(self.run_argv())
        r["after_run_kib"] = du_kib(self.data)
        r["copies"] = copies(self.data)
        _, cid = timed(self.argv(True, "create", IMAGE, "true"))
        r["with_container_kib"] = du_kib(self.data)
        timed(self.argv(True, "rm", cid.strip()))
        if check:
            _, out = timed(self.argv(True, "run", "--rm", IMAGE, "sh", "-c", CHECK))
            r["check"] = check_inside(out, subid)
        return r

    def drop(self):
        for d in [self.data, self.exec]:
            if d:
                shutil.rmtree(d, ignore_errors=True)

    def close(self):
        pass


class Docker:
    name = "docker"

    def __init__(self, tmp, user):
        self.dir = os.path.join(tmp, "docker")
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "docker.sock")
        with open(os.path.join(self.dir, "daemon.json"), "w") as f:
            f.write('{"deprecated-key-path": "%s/key.json"}' % self.dir)
        self.user = user
        self.proc = None
        self.log = open(os.path.join(self.dir, "dockerd.log"), "a")
        self.data = None

    def fresh(self, trial):
        self.data = f"{self.dir}/data{trial}"

    def start(self, remap):
        """Start dockerd; ms until `docker version` answers."""
        argv = ["dockerd", "--config-file", f"{self.dir}/daemon.json", "--data-root", self.data,
                "--exec-root", f"{self.dir}/exec", "--pidfile", f"{self.dir}/dockerd.pid", "-H",
                f"unix://{self.sock}", "--iptables=false", "--ip6tables=false", "--bridge=none",
                "--ip-masq=false", "--storage-driver", "overlay2", "--cgroup-parent",
                "/berth-bench-docker"]
        if remap:
            argv.append(f"--userns-remap={self.user}")
        t = time.perf_counter()
        # Its own session: a Ctrl-C reaches the bench, which stops dockerd in order.
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        while self.cli("version").returncode != 0:
            if self.proc.poll() is not None or time.perf_counter() - t > 60:
                raise RuntimeError("dockerd did not start: see " + self.log.name)
            time.sleep(0.02)
        return (time.perf_counter() - t) * 1000

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cli(self, *args):
        return subprocess.run(["docker", "-H", f"unix://{self.sock}", *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def argv(self, *args):
        return ["docker", "-H", f"unix://{self.sock}", *args]

    def run_argv(self, remap=True):
        return self.argv("run", "--rm", "--network", "none", IMAGE, "true")

    def switch_on(self, tar, subid, check):
        r = {}
        self.start(remap=False)
        r["import0_ms"], _ = timed(self.argv("import", tar, IMAGE))
        r["base_kib"] = du_kib(self.data)
        t = time.perf_counter()
        self.stop()
        r["restart_ms"] = (time.perf_counter() - t) * 1000 + self.start(remap=True)
        r["visible"] = self.cli("image", "inspect", IMAGE).returncode == 0
        stores = [d for d in os.listdir(self.data) if re.fullmatch(r"\d+\.\d+", d)]
        r["store"] = os.path.join(self.data, stores[0]) if stores else "?"
        r["import_ms"], _ = timed(self.argv("import", tar, IMAGE))
        r["after_import_kib"] = du_kib(self.data)
        r["first_ms"], _ = timed(self.run_argv())
        r["after_run_kib"] = du_kib(self.data)
        r["copies"] = copies(self.data)
        _, cid = timed(self.argv("create", "--network", "none", IMAGE, "true"))
        r["with_container_kib"] = du_kib(self.data)
        timed(self.argv("rm", cid.strip()))
        if check:
            _, out = timed(self.argv("run", "--rm", "--network", "none", IMAGE, "sh", "-c",
                                     CHECK))
            r["check"] = check_inside(out, subid)
        return r

    def drop(self):
        self.stop()
        if self.data:
            shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(f"{self.dir}/exec", ignore_errors=True)

    def close(self):
        self.stop()
        self.log.close()


# --- report ------------------------------------------------------------------------------------

def med(results, key):
    return statistics.median(r[key] for r in results)


def mib(kib):
    return f"{kib / 1024:.1f}"


def report(args, user, subid, tar, trials, runs, load0):
    print(f"remap user {user} (subordinate ids {subid}-{subid + 65535}); image {IMAGE}: "
          f"busybox-static + {args.extra_mib} MiB in /extra, tar {os.path.getsize(tar) >> 10} KiB; "
          f"{args.trials} switch-on trials, {args.rounds} further runs; "
          f"load {load0:.1f} -> {os.getloadavg()[0]:.1f}\n")
    print("What switching remapping on took:")
    if "berth" in trials:
        print("- berth: nothing; `berth --userns-remap=USER` on the same data root, image "
              "layers shared through idmapped mounts.")
    if "docker" in trials:
        d = trials["docker"][0]
        seen = "still listed" if d["visible"] else "not there (`docker image inspect` fails)"
        print(f"- docker: restart dockerd with --userns-remap=USER; a new store "
              f"<data-root>/{os.path.basename(d['store'])} in which the image is {seen}; "
              "`docker import` again into it.")
    print("\nDisk: `du -skx DATA_ROOT` (hard links counted once), MiB; growth from the store "
          "with the image imported, remapping off:\n")
    print("| engine | store with image, remap off | + switch on, first run --rm "
          "| + one container created |")
    print("|---|---|---|---|")
    for name, rs in trials.items():
        base = med(rs, "base_kib")
        print(f"| {name} | {mib(base)} | +{mib(med(rs, 'after_run_kib') - base)} | "
              f"+{mib(med(rs, 'with_container_kib') - base)} |")
    print(f"\nFirst start with remapping on, median of {args.trials} fresh switch-ons, ms:\n")
    print("| engine | dockerd restart (stop+start) | import again | first run --rm "
          "| switch-on to first exit |")
    print("|---|---|---|---|---|")
    totals = {}
    for name, rs in trials.items():
        if name == "docker":
            tot = statistics.median(r["restart_ms"] + r["import_ms"] + r["first_ms"] for r in rs)
            print(f"| docker | {med(rs, 'restart_ms'):.0f} | {med(rs, 'import_ms'):.0f} | "
                  f"{med(rs, 'first_ms'):.0f} | {tot:.0f} |")
        else:
            tot = med(rs, "first_ms")
            print(f"| berth | - | - | {tot:.0f} | {tot:.0f} |")
        totals[name] = tot
    if runs:
        print(f"\n{args.rounds} further `run --rm IMAGE true`, rotating order, ms:\n")
        print("| contender | median | p10 | p90 |")
        print("|---|---|---|---|")
        for name, t in runs.items():
            print(f"| {name} | {statistics.median(t):.1f} | {pct(t, 0.1):.1f} | "
                  f"{pct(t, 0.9):.1f} |")
    for name, rs in trials.items():
        print(f"\n{name}: copies of /extra/blob000 in the data root after the first remapped "
              f"run, by owner on disk: {', '.join(rs[0]['copies']) or 'none'}")
        if "check" in rs[0]:
            ok, what = rs[0]["check"]
            print(f"\ninside {name}: {what}: {'ok' if ok else 'NOT AS EXPECTED'}")
    if "berth" in trials and "docker" in trials:
        b, d = trials["berth"], trials["docker"]
        bg = med(b, "after_run_kib") - med(b, "base_kib")
        dg = med(d, "after_run_kib") - med(d, "base_kib")
        first = med(b, "first_ms") / med(d, "first_ms")
        print(f"\nberth / docker: disk growth on switching on {bg / dg:.3f}x "
              f"({bg} KiB / {dg} KiB); first run --rm {first:.3f}x; "
              f"switch-on to first exit {totals['berth'] / totals['docker']:.3f}x")
        if runs:
            rb = statistics.median(runs["berth run --rm (remap)"])
            rd = statistics.median(runs["docker run --rm (remap)"])
            print(f"berth / docker, further runs remapped: {rb / rd:.3f}x")
            if "berth run --rm (no remap)" in runs:
                r0 = statistics.median(runs["berth run --rm (no remap)"])
                print(f"berth remapped / berth not remapped: {rb / r0:.3f}x")


def bench(args, tmp):
    user = os.environ["BERTH_BENCH_USER"]
    subid = int(os.environ["BERTH_BENCH_SUBID"])
    os.chmod(tmp, 0o711)  # remapped root must be able to reach dockerd's layers
    load0 = os.getloadavg()[0]
    tar = make_rootfs_tar(tmp, args.extra_mib)
    engines = []
    if not args.no_berth:
        engines.append(Berth(tmp, args.berth, user))
    if not args.no_docker:
        engines.append(Docker(tmp, user))
    try:
        trials = {e.name: [] for e in engines}
        for t in range(args.trials):
            order = engines if t % 2 == 0 else engines[::-1]
            last = t == args.trials - 1
            for e in order:
                e.fresh(t)
                trials[e.name].append(e.switch_on(tar, subid, check=(t == 0)))
                if not last:
                    e.drop()
        contenders = []
        for e in engines:
            contenders.append((f"{e.name} run --rm (remap)", e.run_argv(True)))
            if isinstance(e, Berth) and not args.no_plain:
                contenders.append((f"{e.name} run --rm (no remap)", e.run_argv(False)))
        runs = {name: [] for name, _ in contenders}
        for r in range(args.rounds):
            k = r % len(contenders)
            for name, argv in contenders[k:] + contenders[:k]:
                runs[name].append(timed(argv)[0])
        report(args, user, subid, tar, trials, runs if args.rounds else {}, load0)
    finally:
        for e in engines:
            e.drop()
            e.close()
        remove_empty_cgroups(["berth", "berth-bench-docker"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", "--rounds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--extra-mib", type=int, default=20)
    ap.add_argument("--no-docker", action="store_true")
    ap.add_argument("--no-berth", action="store_true")
    ap.add_argument("--no-plain", action="store_true",
                    help="leave out berth without remapping from the further runs")
    ap.add_argument("--berth", default=os.path.join(REPO, "build/bin/berth"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("userns_remap.py: run as root")
    if not args.no_docker and not shutil.which("dockerd"):
        sys.exit("userns_remap.py: no dockerd (--no-docker to leave it out)")
    if os.environ.get("BERTH_BENCH_NS") != "1":
        tmp = tempfile.mkdtemp(prefix="berth-bench-remap.")
        sys.exit(outer(tmp))
    bench(args, os.environ["BERTH_BENCH_TMP"])


if __name__ == "__main__":
    main()
