#!/usr/bin/env python3
"""Runs a command and SIGKILLs it (its whole process group) as soon as a line of its stdout
contains PATTERN. Prints what it saw and exits 0 if it killed the command, 3 if the command ended
first (its own status is printed).

  kill_during.py PATTERN -- COMMAND [ARGS...]
"""
import os
import signal
import subprocess
import sys


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    pattern, argv = sys.argv[1], sys.argv[3:]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip("\n")
        print(line)
        if pattern in line:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            print("kill_during: killed at %r" % line)
            return 0
    status = proc.wait()
    print("kill_during: command ended first with status %d" % status)
    return 3


if __name__ == "__main__":
    sys.exit(main())
