"""Shared helpers of the naccs-mail-harness benchmarks in bench/.

Each run-*.py script measures one performance target of the design against
an anchor run side by side on the same machine: Postfix's smtp-sink and
smtp-source, or a plain memchr-and-copy loop.  This module builds naccs-sim
and naccs-send in a release build directory when they are missing, starts
servers on 127.0.0.1 at free ports, reads a process's CPU time from
/proc/PID/stat, and prints each verdict as PASS or MISS.  Every process it
starts is stopped at exit, on SIGINT and on SIGTERM.

Environment:
  NACCS_BENCH_BUILD  build directory (default /tmp/build-bench), set up with
                     -Dbuildtype=release -Dtests=false when it does not exist
  BENCH_REPS         repetitions of each measurement; the median is
                     reported (default 5)
"""

import atexit
import os
import pwd
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("NACCS_BENCH_BUILD", "/tmp/build-bench")
NACCS_SIM = os.path.join(BUILD, "simulator", "naccs-sim")
NACCS_SEND = os.path.join(BUILD, "client", "naccs-send")
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"

CENTER_ADDRESS = "NACCS@EDIFACT.PROD.NACCS6"
USER_DOMAIN = "user.example.invalid"
USER_ADDRESS = "user@example.invalid"

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STARTUP_TIMEOUT_S = 10

_children = []


def reps():
    """Return the number of repetitions from BENCH_REPS (default 5)."""
    value = os.environ.get("BENCH_REPS", "5")
    if not value.isdigit() or int(value) < 1:
        sys.exit(f'invalid BENCH_REPS "{value}": give a number from 1 up')
    return int(value)


def _stop_children():
    for proc in _children:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    _children.clear()


def _on_signal(signum, _frame):
    _stop_children()
    sys.exit(128 + signum)


atexit.register(_stop_children)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def require_tools(*paths):
    """Exit with status 2 when one of @paths is not an executable file."""
    for path in paths:
        if not os.access(path, os.X_OK):
            sys.exit(f"missing {path}: install it (Postfix ships smtp-sink "
                     f"and smtp-source) or build the project")


def ensure_build():
    """Set up and build the release build directory when it is missing."""
    if os.access(NACCS_SIM, os.X_OK) and os.access(NACCS_SEND, os.X_OK):
        return
    if not os.path.isdir(BUILD):
        subprocess.run(["meson", "setup", BUILD, ROOT,
                        "-Dbuildtype=release", "-Dtests=false"],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-j2", "-C", BUILD], check=True,
                   stdout=subprocess.DEVNULL)


def free_port():
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port, proc):
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with status {proc.returncode} "
                     f"before listening on port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"server did not listen on 127.0.0.1:{port} within "
             f"{STARTUP_TIMEOUT_S} s")


def start(argv, **kwargs):
    """Start @argv as a child that is stopped at exit."""
    proc = subprocess.Popen(argv, **kwargs)
    _children.append(proc)
    return proc


def stop(proc):
    """Stop @proc (SIGTERM, then SIGKILL after 5 s) and forget it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in _children:
        _children.remove(proc)


def start_smtp_sink():
    """Start smtp-sink on a free port; return (process, port).

    smtp-sink refuses to run as root without -u, so it drops to nobody."""
    port = free_port()
    argv = [SMTP_SINK]
    if os.geteuid() == 0:
        argv += ["-u", pwd.getpwnam("nobody").pw_name]
    argv += [f"127.0.0.1:{port}", "256"]
    proc = start(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(port, proc)
    return proc, port


def start_naccs_sim(*extra, log=None, preexec_fn=None):
    """Start naccs-sim on a free port; return (process, port).

    Its log goes to @log (a file object) or is dropped."""
    proc = start([NACCS_SIM, "--listen", "127.0.0.1:0", *extra],
                 stdout=subprocess.PIPE,
                 stderr=log if log is not None else subprocess.DEVNULL,
                 text=True, preexec_fn=preexec_fn)
    line = proc.stdout.readline()
    match = re.match(r"listening on 127\.0\.0\.1:(\d+)$", line.strip())
    if match is None:
        sys.exit(f"naccs-sim did not print its address: {line!r}")
    port = int(match.group(1))
    _wait_for_port(port, proc)
    return proc, port


def cpu_seconds(pid):
    """Return user plus system CPU seconds of process @pid so far."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name in field 2 may contain spaces, so split after it.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def smtp_source(port, messages, octets, sessions):
    """Send @messages of @octets payload over @sessions parallel sessions,
    all messages of a session on one connection; return wall seconds."""
    argv = [SMTP_SOURCE, "-d", "-s", str(sessions), "-m", str(messages),
            "-l", str(octets), "-f", USER_ADDRESS, "-t", CENTER_ADDRESS,
            "-M", USER_DOMAIN, f"127.0.0.1:{port}"]
    start_time = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start_time


def measure_load(proc, port, messages, octets, sessions):
    """Run one smtp-source load against server @proc; return
    (server CPU seconds per message, messages per wall second)."""
    before = cpu_seconds(proc.pid)
    wall = smtp_source(port, messages, octets, sessions)
    used = cpu_seconds(proc.pid) - before
    return used / messages, messages / wall


def median(values):
    return statistics.median(values)


def spread(values):
    return f"{min(values):.4g}..{max(values):.4g}"


def verdict(name, ratio, target, at_least):
    """Print and return PASS or MISS for @ratio against @target.

    @at_least is True when the ratio must be >= target, False for <=."""
    ok = ratio >= target if at_least else ratio <= target
    word = "PASS" if ok else "MISS"
    sign = ">=" if at_least else "<="
    if ok:
        margin = ""
    elif at_least:
        margin = f" (short by {(1 - ratio / target) * 100:.0f}%)"
    else:
        margin = f" (over by {(ratio / target - 1) * 100:.0f}%)"
    print(f"{word} {name}: ratio {ratio:.2f}, target {sign} {target}{margin}")
    return word


def temp_dir(prefix, base="/var/tmp"):
    """Create a directory under @base, which is on disk and not a tmpfs, so
    that fsync costs what it costs on a real spool; removed at exit."""
    path = tempfile.mkdtemp(prefix=prefix, dir=base)

    def remove():
        # atexit runs this before _stop_children, so stop the servers
        # that may still write into the directory first.
        _stop_children()
        subprocess.run(["rm", "-rf", "--one-file-system", path], check=False)

    atexit.register(remove)
    return path


def machine():
    """Return one line naming the CPU count, CPU model and kernel."""
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"machine: nproc={os.cpu_count()} cpu=\"{model}\" "
            f"kernel={os.uname().release}")
