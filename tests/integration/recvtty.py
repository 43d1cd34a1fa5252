#!/usr/bin/env python3
"""Receives a pty master over a runtime's --console-socket and copies what the container
writes to OUTFILE until the pty closes. Optional INPUT is written to the pty first.

usage: recvtty.py SOCKET OUTFILE [INPUT]
Exits 0 once the container's side of the pty is closed; 1 on error or after 30 s."""
import os
import select
import socket
import sys
import time


def main():
    path, outfile = sys.argv[1], sys.argv[2]
    data_in = sys.argv[3].encode() if len(sys.argv) > 3 else b""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(30)
    conn, _ = srv.accept()
    _, fds, _, _ = socket.recv_fds(conn, 4096, 4)
    conn.close()
    srv.close()
    if len(fds) != 1:
        print(f"recvtty: expected 1 fd, got {len(fds)}", file=sys.stderr)
        return 1
    master = fds[0]
    if data_in:
        os.write(master, data_in)
    deadline = time.monotonic() + 30
    with open(outfile, "wb") as out:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.5)
            if not r:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every slave fd is closed
                return 0
            if not chunk:
                return 0
            out.write(chunk)
            out.flush()
    print("recvtty: timed out", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
