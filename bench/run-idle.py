#!/usr/bin/env python3
"""Memory cost of idle sessions in naccs-sim.

Target: an idle session costs at most 8 KiB, and 10,000 concurrent
sessions fit in one naccs-sim process.  The script raises the open-file
limit of itself and of naccs-sim, starts naccs-sim with
--max-connections above N, runs one whole session to warm up the
allocator, and reads VmRSS from /proc/PID/status.  It then opens N
connections and reads each greeting, reads VmRSS again, sends HELO on every
connection and reads each 250, and reads VmRSS a third time.  The growth
divided by N is the cost per idle session in each state.  One more
connection must still get its 220 while the N sessions are open.  Kernel
socket buffers are not part of RSS and are not counted.

Usage: bench/run-idle.py [N]   (default 10000)
"""

import resource
import socket
import sys

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

import benchlib  # noqa: E402

TARGET_OCTETS = 8 * 1024
TIMEOUT_S = 10


def raise_nofile(count):
    """Raise the soft open-file limit to fit @count descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < count:
        sys.exit(f"open-file hard limit {hard} is below {count}: raise it "
                 f"(ulimit -Hn) or give a smaller N")
    if soft == resource.RLIM_INFINITY or soft < count:
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))


def rss_octets(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    sys.exit(f"no VmRSS in /proc/{pid}/status")


def read_reply(sock, code):
    """Read one reply line and exit unless it starts with @code."""
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(512)
        if not chunk:
            sys.exit(f"connection closed while waiting for {code}")
        data += chunk
    if not data.startswith(code.encode()):
        sys.exit(f"expected {code}, got {data!r}")


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
    read_reply(sock, "220")
    return sock


def warm_up(port):
    sock = connect(port)
    sock.sendall(f"HELO {benchlib.USER_DOMAIN}\r\n".encode())
    read_reply(sock, "250")
    sock.sendall(b"QUIT\r\n")
    read_reply(sock, "221")
    sock.close()


def main():
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    benchlib.ensure_build()
    print(benchlib.machine())
    # Each side needs a descriptor per session, plus a few of its own.
    raise_nofile(sessions + 64)
    sim, port = benchlib.start_naccs_sim(
        "--max-connections", str(sessions + 10),
        preexec_fn=lambda: raise_nofile(sessions + 64))

    warm_up(port)
    rss_start = rss_octets(sim.pid)
    socks = [connect(port) for _ in range(sessions)]
    rss_greeted = rss_octets(sim.pid)
    for sock in socks:
        sock.sendall(f"HELO {benchlib.USER_DOMAIN}\r\n".encode())
    for sock in socks:
        read_reply(sock, "250")
    rss_helo = rss_octets(sim.pid)
    connect(port).close()
    print(f"{sessions} idle sessions served, and one more got its 220")

    per_greeted = (rss_greeted - rss_start) / sessions
    per_helo = (rss_helo - rss_start) / sessions
    print(f"naccs-sim VmRSS: start={rss_start // 1024} KiB "
          f"after_greeting={rss_greeted // 1024} KiB "
          f"after_helo={rss_helo // 1024} KiB")
    print(f"per idle session: after greeting {per_greeted:.0f} octets, "
          f"after HELO {per_helo:.0f} octets")
    for sock in socks:
        sock.close()
    word = benchlib.verdict("idle session RSS after HELO / 8 KiB",
                            per_helo / TARGET_OCTETS, 1.0, at_least=False)
    return 0 if word == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
