#!/usr/bin/env python3
"""Time `RUNTIME run` of /bin/true in a bundle against its peers, alternating.

Each round runs every contender once, in an order that rotates by one each
round, so that drift in machine load (other people compiling) falls on all
contenders alike. Per run it takes the wall time from spawn to reap, the CPU
time (user+sys of the child and the descendants it reaped) and the peak RSS
(ru_maxrss from wait4: the largest process in the tree). The spawning and
timing is done by spawn_timer.c, a small static helper (built at start into
the temp dir): children of Python would report Python's RSS as their peak.
A run that exits non-zero drops its contender, with its stderr in the report.

Contenders (the defaults):
  berth-runtime  build/bin/berth-runtime, when it exists
  runc           /usr/bin/runc
  crun           /usr/bin/crun (1.8 refuses hybrid cgroups: reported, skipped)
  unshare        unshare -mpnui -f true (the kernel's floor: namespaces, no runtime)
each runtime as: RUNTIME --root TMP/<name> run --bundle BUNDLE <fresh id>.

The ratios are of the subject's median wall time (default berth-runtime)
over each peer's, with the goals of issue 2: <= 0.2x runc and <= 1.5x unshare.
Everything is removed afterwards and the script checks that no mount, cgroup
or state directory named after its ids is left behind.
"""

import argparse
import datetime
import gc
import json
import os
import platform
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GOALS = {"runc": 0.2, "unshare": 1.5}  # subject/peer median wall time, at most


class Contender:
    def __init__(self, name, argv, kind):
        self.name = name
        self.argv = argv  # runtime: [binary, global flags...]; baseline: full command
        self.kind = kind  # "runtime" or "baseline"
        self.binary = argv[0]
        self.wall_ns, self.user_ns, self.sys_ns, self.maxrss_kib = [], [], [], []
        self.error = None  # why it was dropped
        self.leftovers = 0  # runs whose container state outlived `run`
        self.undeletable = 0  # ... and `delete -f` could not remove it
        self.own_files = []  # what else the runtime keeps in its root
        self.root = None
        self.errpath = None

    def command(self, bundle, cid):
        if self.kind == "baseline":
            return self.argv
        return self.argv + ["--root", self.root, "run", "--bundle", bundle, cid]


def elf_info(path):
    """(is_dynamic, size without debug info and symbols, that plus its shared
    libraries) of an ELF file; dynamic is None when it is no 64-bit ELF file."""
    size = os.stat(path).st_size
    dynamic = None
    stripped = size
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] == b"\x7fELF" and head[4] == 2:  # 64-bit
                phoff, shoff = struct.unpack_from("<QQ", head, 0x20)
                phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(
                    "<HHHHH", head, 0x36)
                f.seek(phoff)
                ph = f.read(phentsize * phnum)
                dynamic = any(struct.unpack_from("<I", ph, i * phentsize)[0] == 3  # PT_INTERP
                              for i in range(phnum))
                if shoff and shnum and shstrndx < shnum:
                    f.seek(shoff)
                    sh = f.read(shentsize * shnum)
                    hdrs = [struct.unpack_from("<IIQQQQ", sh, i * shentsize) for i in range(shnum)]
                    f.seek(hdrs[shstrndx][4])
                    names = f.read(hdrs[shstrndx][5])
                    for name_off, _, _, _, _, sec_size in hdrs:
                        name = names[name_off:names.index(b"\0", name_off)]
                        if name.startswith(b".debug") or name in (b".symtab", b".strtab"):
                            stripped -= sec_size
    except (OSError, ValueError, struct.error):
        pass
    total = stripped
    if dynamic:
        try:
            out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
            libs = set()
            for line in out.splitlines():
                parts = line.split()
                lib = parts[2] if "=>" in parts and len(parts) > 2 else parts[0] if parts else ""
                if lib.startswith("/"):
                    libs.add(os.path.realpath(lib))
            total += sum(os.stat(l).st_size for l in libs)
        except OSError:
            pass
    return dynamic, stripped, total


class SpawnTimer:
    """Runs commands from spawn_timer.c, a small static helper (see there why)."""

    def __init__(self, tmpdir, timeout):
        src = os.path.join(HERE, "spawn_timer.c")
        exe = os.path.join(tmpdir, "spawn_timer")
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise SystemExit("a C compiler is needed for bench/spawn_timer.c")
        r = quiet([cc, "-O2", "-static", "-o", exe, src])
        if r.returncode:  # no static libc: still far smaller than Python
            r = quiet([cc, "-O2", "-o", exe, src])
            if r.returncode:
                raise SystemExit("cannot build spawn_timer.c:\n" + r.stderr)
        self.proc = subprocess.Popen([exe, str(timeout)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)

    def run(self, argv, errpath):
        """Returns (wait status, wall ns, user ns, sys ns, maxrss KiB, timed
        out), or an OSError when it could not be spawned."""
        data = b"".join(os.fsencode(s) + b"\0" for s in [errpath] + list(argv))
        self.proc.stdin.write(struct.pack("=I", len(data)) + data)
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().split()
        if not reply:
            raise SystemExit("spawn_timer died")
        if reply[0] == b"ERR":
            return OSError(int(reply[1]), os.strerror(int(reply[1])))
        return tuple(int(x) for x in reply)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def quiet(argv):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)


def read_err(path):
    with open(path, "rb") as f:
        data = f.read(4096).decode(errors="replace").strip()
    return data or "(no stderr)"


def describe_status(status):
    if os.WIFSIGNALED(status):
        return "killed by signal %d" % os.WTERMSIG(status)
    return "exit status %d" % os.waitstatus_to_exitcode(status)


def find_leftovers(prefix, tmpdirs):
    """Mounts and cgroups named after this run's ids or temp dirs. A contender that failed can
    leave an empty cgroup (crun, refusing this host mid-way): reported, then removed."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if prefix in line or any(d in line for d in tmpdirs):
                found.append("mount: " + line.split()[4])
    for top in ("/sys/fs/cgroup",):
        for dirpath, dirnames, _ in os.walk(top, topdown=False):
            for d in dirnames:
                if prefix in d:
                    path = os.path.join(dirpath, d)
                    try:
                        os.rmdir(path)
                        found.append("cgroup (removed): " + path)
                    except OSError as e:
                        found.append("cgroup (%s): %s" % (e.strerror, path))
    return found


def tmpfs_dir():
    """A tmpfs directory for state (/run, else /dev/shm), else the temp dir."""
    mounts = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            mounts[parts[4]] = parts[parts.index("-") + 1]
    for d in ("/run", "/dev/shm"):
        if mounts.get(d) == "tmpfs":
            return d
    return None


def pct(values, q):
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def default_contenders():
    out = []
    berth = os.path.join(REPO, "build", "bin", "berth-runtime")
    if os.access(berth, os.X_OK):
        out.append(("berth-runtime", [berth]))
    for name in ("runc", "crun"):
        path = "/usr/bin/" + name
        if os.access(path, os.X_OK):
            out.append((name, [path]))
    return out


def parse_runtime(spec):
    """'PATH [ARGS]' or 'NAME=PATH [ARGS]'."""
    words = shlex.split(spec)
    if not words:
        raise SystemExit("--runtime: empty")
    name = None
    if "=" in words[0]:
        name, words[0] = words[0].split("=", 1)
    path = shutil.which(words[0]) or words[0]
    if not os.access(path, os.X_OK):
        raise SystemExit("--runtime: %s is not executable" % path)
    return name or os.path.basename(path), [os.path.abspath(path)] + words[1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--rounds", type=int, default=200, help="measured rounds (default 200)")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first (default 3)")
    ap.add_argument("--runtime", action="append", metavar="[NAME=]PATH [ARGS]",
                    help="a runtime to time (repeatable); replaces the default list "
                         "(berth-runtime if built, runc, crun)")
    ap.add_argument("--timeout", type=int, default=10,
                    help="seconds before a run is killed and its contender dropped (default 10)")
    ap.add_argument("--no-unshare", action="store_true", help="leave out the unshare baseline")
    ap.add_argument("--subject", default="berth-runtime",
                    help="the contender the ratios are about (default berth-runtime)")
    ap.add_argument("--state-dir", metavar="DIR",
                    help="where the --root dirs go (default: a tmpfs: /run or /dev/shm)")
    ap.add_argument("--bundle", help="use this bundle (default: a fresh one from make_bundle.sh)")
    ap.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    ap.add_argument("--samples", action="store_true", help="with --json: include every sample")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless the subject ran and met every goal")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if os.geteuid() != 0:
        ap.error("run as root (the bundle needs real namespaces and cgroups)")

    specs = [parse_runtime(s) for s in args.runtime] if args.runtime else default_contenders()
    contenders = [Contender(n, a, "runtime") for n, a in specs]
    if not args.no_unshare:
        unshare = shutil.which("unshare")
        true = shutil.which("true")
        if unshare and true:
            contenders.append(Contender("unshare", [unshare, "-mpnui", "-f", true], "baseline"))
    names = [c.name for c in contenders]
    if len(set(names)) != len(names):
        raise SystemExit("contender names must be unique: %s" % names)
    if not contenders:
        raise SystemExit("no contenders")

    tmpdir = tempfile.mkdtemp(prefix="berth-bench-")
    # The state roots go on a tmpfs, as /run/runc does on a usual host (here
    # /run is on ext4, where creating and deleting the state files of 1000s
    # of containers shows up: ext4's inode allocator scans recently_deleted).
    statedir = tempfile.mkdtemp(prefix="berth-bench-state-", dir=args.state_dir or tmpfs_dir())
    prefix = "berthbench%d-" % os.getpid()
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()
    report = {}
    leftovers = []
    timer = None
    try:
        timer = SpawnTimer(tmpdir, args.timeout)
        bundle = args.bundle
        if bundle:
            bundle = os.path.abspath(bundle)
        else:
            bundle = os.path.join(tmpdir, "bundle")
            r = quiet([os.path.join(HERE, "make_bundle.sh"), bundle])
            if r.returncode:
                raise SystemExit("make_bundle.sh failed:\n" + r.stderr)
        for c in contenders:
            c.root = os.path.join(statedir, c.name)
            os.mkdir(c.root)
            c.errpath = os.path.join(tmpdir, "stderr-" + c.name)

        seq = 0

        def run_once(c, measured, rnd):
            nonlocal seq
            seq += 1
            cid = "%s%s-%d" % (prefix, c.name, seq)
            result = timer.run(c.command(bundle, cid), c.errpath)
            if isinstance(result, OSError):
                c.error = "cannot spawn %s: %s" % (c.argv[0], result.strerror)
                return
            status, wall, user, sys_, rss, timed_out = result
            if c.kind == "runtime":
                # `run` without -d deletes the container when it exits; check it did.
                state = os.path.join(c.root, cid)
                if os.path.exists(state):
                    c.leftovers += 1
                    quiet(c.argv + ["--root", c.root, "delete", "-f", cid])
                    if os.path.exists(state):
                        c.undeletable += 1
            if status != 0:
                where = "round %d" % rnd if measured else "warm-up"
                what = ("timed out after %d s, killed" % args.timeout if timed_out
                        else describe_status(status))
                c.error = "%s in %s: %s" % (what, where, read_err(c.errpath))
                return
            if measured:
                c.wall_ns.append(wall)
                c.user_ns.append(user)
                c.sys_ns.append(sys_)
                c.maxrss_kib.append(rss)

        gc.disable()
        total = args.warmup + args.rounds
        for rnd in range(total):
            live = [c for c in contenders if c.error is None]
            if not live:
                break
            k = rnd % len(live)
            for c in live[k:] + live[:k]:
                run_once(c, rnd >= args.warmup, rnd - args.warmup + 1)
            if not args.json and sys.stderr.isatty():
                print("\rround %d/%d" % (rnd + 1, total), end="", file=sys.stderr, flush=True)
        gc.enable()
        if not args.json and sys.stderr.isatty():
            print(file=sys.stderr)
    finally:
        # Remove whatever any runtime still has (an interrupted run), then our
        # temp dir, unless a runtime failed to delete a container: then it
        # stays, for a look and a `RUNTIME --root STATE/NAME delete -f`.
        # Entries of a state root not named like our ids are the runtime's
        # own files (a cache): noted, and removed with the temp dir.
        keep = False
        for c in contenders:
            if c.kind != "runtime" or not c.root or not os.path.isdir(c.root):
                continue
            for cid in os.listdir(c.root):
                if cid.startswith(prefix):
                    quiet(c.argv + ["--root", c.root, "delete", "-f", cid])
            left = sorted(os.listdir(c.root))
            c.own_files = [e for e in left if not e.startswith(prefix)]
            if len(left) > len(c.own_files):
                keep = True
                leftovers.append("state (%s could not delete it, kept): %s: %s" % (
                    c.name, c.root, " ".join(e for e in left if e.startswith(prefix))))
        if timer:
            timer.close()
        if not keep:
            shutil.rmtree(tmpdir, ignore_errors=True)
            shutil.rmtree(statedir, ignore_errors=True)
        leftovers += find_leftovers(prefix, (tmpdir, statedir))

    load_end = os.getloadavg()
    for c in contenders:
        real = os.path.realpath(c.binary)
        dynamic, stripped, with_libs = elf_info(real)
        r = {
            "command": (c.argv + ["--root", "STATE/" + c.name, "run", "--bundle", "BUNDLE",
                                  "ID"] if c.kind == "runtime" else c.argv),
            "binary": real,
            "binary_bytes": os.stat(real).st_size,
            "binary_stripped_bytes": stripped,
            "dynamic": dynamic,
            "binary_with_libs_bytes": with_libs,
            "runs": len(c.wall_ns),
            "error": c.error,
            "state_left_behind": c.leftovers,
            "delete_failed": c.undeletable,
            "files_in_root": c.own_files,
        }
        if c.wall_ns:
            ms = [v / 1e6 for v in c.wall_ns]
            cpu = [(u + s) / 1e6 for u, s in zip(c.user_ns, c.sys_ns)]
            r.update({
                "median_ms": statistics.median(ms),
                "p10_ms": pct(ms, 10),
                "p90_ms": pct(ms, 90),
                "cpu_median_ms": statistics.median(cpu),
                "user_median_ms": statistics.median(v / 1e6 for v in c.user_ns),
                "sys_median_ms": statistics.median(v / 1e6 for v in c.sys_ns),
                "maxrss_median_kib": statistics.median(c.maxrss_kib),
            })
            if args.samples:
                r["samples_ms"] = ms
                r["samples_maxrss_kib"] = c.maxrss_kib
        report[c.name] = r

    def complete(r):  # ran every round: only those are compared
        return r is not None and r["error"] is None and r["runs"] == args.rounds

    subject = report.get(args.subject)
    subject_ok = complete(subject)
    ratios = {}
    for name, r in report.items():
        if name == args.subject:
            continue
        entry = {"wall": None, "cpu": None, "maxrss": None, "goal": GOALS.get(name), "met": None}
        if subject_ok and complete(r):
            entry["wall"] = subject["median_ms"] / r["median_ms"]
            entry["cpu"] = subject["cpu_median_ms"] / r["cpu_median_ms"] if r["cpu_median_ms"] else None
            entry["maxrss"] = subject["maxrss_median_kib"] / r["maxrss_median_kib"]
            if entry["goal"] is not None:
                entry["met"] = entry["wall"] <= entry["goal"]
        ratios[name] = entry

    out = {
        "benchmark": "runtime_start",
        "command": " ".join(shlex.quote(a) for a in sys.argv),
        "started": started.isoformat(timespec="seconds"),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "loadavg_start": load_start,
        "loadavg_end": load_end,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "subject": args.subject,
        "contenders": report,
        "ratios": ratios,
        "leftovers": leftovers,
    }
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        print()
    else:
        print_table(out)

    if leftovers or any(r["state_left_behind"] for r in report.values()):
        return 3
    if args.check:
        goals = [e["met"] for e in ratios.values() if e["goal"] is not None]
        if not subject_ok or not goals or not all(goals):
            return 1
    return 0


def kib(n):
    return "%d" % round(n / 1024)


def libs_column(r):
    if r["dynamic"] is None:
        return "-"
    return kib(r["binary_with_libs_bytes"]) if r["dynamic"] else "static"


def print_table(out):
    print("runtime_start: `run` of /bin/true (pid,mnt,uts,ipc,net ns; pivot_root; caps; seccomp)")
    print("%s, kernel %s, %d cpus, load %.1f -> %.1f, %d rounds (+%d warm-up), alternating" % (
        out["started"], out["kernel"], out["cpus"], out["loadavg_start"][0],
        out["loadavg_end"][0], out["rounds"], out["warmup"]))
    print()
    hdr = ("contender", "runs", "median ms", "p10 ms", "p90 ms", "cpu ms", "peak RSS KiB",
           "binary KiB", "stripped", "+libs KiB")
    rows = []
    for name, r in out["contenders"].items():
        if r.get("median_ms") is not None:
            rows.append((name, str(r["runs"]), "%.2f" % r["median_ms"], "%.2f" % r["p10_ms"],
                         "%.2f" % r["p90_ms"], "%.2f" % r["cpu_median_ms"],
                         "%d" % r["maxrss_median_kib"], kib(r["binary_bytes"]),
                         kib(r["binary_stripped_bytes"]), libs_column(r)))
        else:
            rows.append((name, "0", "-", "-", "-", "-", "-", kib(r["binary_bytes"]),
                         kib(r["binary_stripped_bytes"]), libs_column(r)))
    widths = [max(len(x[i]) for x in [hdr] + rows) for i in range(len(hdr))]
    fmt = "  ".join("%%-%ds" % w if i == 0 else "%%%ds" % w for i, w in enumerate(widths))
    print(fmt % hdr)
    for row in rows:
        print(fmt % row)
    print()
    for name, r in out["contenders"].items():
        if r["error"]:
            err = r["error"].replace("\n", "\n      ")
            what = "not runnable" if r["runs"] == 0 else "dropped"
            print("%s: %s: %s" % (name, what, err))
        if r["files_in_root"]:
            print("%s: keeps in its --root (removed with the temp dir): %s" % (
                name, " ".join(r["files_in_root"])))
        if r["state_left_behind"]:
            print("%s: `run` left its container behind %d time(s); `delete -f` %s" % (
                name, r["state_left_behind"],
                "failed %d time(s)" % r["delete_failed"] if r["delete_failed"] else "removed it"))
    subject = out["subject"]
    if subject not in out["contenders"]:
        print("%s: not present, no ratios" % subject)
    elif out["contenders"][subject]["error"]:
        print("%s: did not run every round, no ratios" % subject)
    else:
        for name, e in out["ratios"].items():
            if e["wall"] is None:
                print("%s/%s: n/a" % (subject, name))
                continue
            goal = ""
            if e["goal"] is not None:
                goal = "  goal <= %.1fx: %s" % (e["goal"], "met" if e["met"] else "NOT met")
            print("%s/%s: wall %.2fx, cpu %.2fx, peak RSS %.2fx%s" % (
                subject, name, e["wall"], e["cpu"] or float("nan"), e["maxrss"], goal))
    if out["leftovers"]:
        print("LEFT BEHIND:")
        for l in out["leftovers"]:
            print("  " + l)
    else:
        print("left behind: nothing (no state dirs, mounts or cgroups named after the ids)")


if __name__ == "__main__":
    sys.exit(main())
