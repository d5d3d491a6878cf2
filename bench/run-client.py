#!/usr/bin/env python3
"""Rate of naccs-send over one connection against smtp-source -s 1.

Target: naccs-send, sending many messages on one connection, is at least
as fast as Postfix's smtp-source with one session (-s 1 -d) sending the
same number of messages of the same size to the same sink.  The sink is
smtp-sink for the verdict; the same pair against naccs-sim is printed for
information.  naccs-send gets one file per message, each as long as what
smtp-source sends for -l 1024 (the payload plus about 163 octets of
headers), in 80-octet CRLF lines.  naccs-send opens and reads every file
once, to check it before it connects, and sends the octets it checked;
that cost is part of what is measured.  The medians
of BENCH_REPS runs of messages per wall-clock second are compared; client
CPU per message comes from the child's resource usage.

Usage: bench/run-client.py [MESSAGES]   (default 10000 per run)
"""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

import benchlib  # noqa: E402

PAYLOAD = 1024
# smtp-source adds From:, To:, Date: and Message-Id: headers and a blank
# line: about 163 octets with Postfix 3.7's smtp-source and the addresses
# used here (the date and the message id vary by a few octets).
HEADER_OCTETS = 163


def write_messages(directory, count, octets):
    """Write @count files of @octets in 80-octet CRLF lines; return paths."""
    line = b"X" * 78 + b"\r\n"
    body = line * (octets // 80)
    rest = octets % 80
    if rest >= 2:
        body += b"Y" * (rest - 2) + b"\r\n"
    paths = []
    for i in range(count):
        path = os.path.join(directory, f"m{i:06d}.edi")
        with open(path, "wb") as f:
            f.write(body)
        paths.append(path)
    return paths


def timed(argv):
    """Run @argv; return (wall seconds, user + system CPU seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{argv[0]} exited with status {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(port, paths):
    messages = len(paths)
    runs = {"smtp-source -s 1": ([], []), "naccs-send": ([], [])}
    commands = {
        "smtp-source -s 1": [benchlib.SMTP_SOURCE, "-d", "-s", "1", "-m",
                             str(messages), "-l", str(PAYLOAD), "-f",
                             benchlib.USER_ADDRESS, "-t",
                             benchlib.CENTER_ADDRESS, "-M",
                             benchlib.USER_DOMAIN, f"127.0.0.1:{port}"],
        "naccs-send": [benchlib.NACCS_SEND, "--server", f"127.0.0.1:{port}",
                       "--helo", benchlib.USER_DOMAIN, "--from",
                       benchlib.USER_ADDRESS, *paths],
    }
    for _ in range(benchlib.reps()):
        for name, argv in commands.items():
            wall, cpu = timed(argv)
            runs[name][0].append(messages / wall)
            runs[name][1].append(cpu / messages * 1e6)
    return runs


def main():
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    benchlib.require_tools(benchlib.SMTP_SINK, benchlib.SMTP_SOURCE)
    benchlib.ensure_build()
    print(benchlib.machine())
    files = benchlib.temp_dir("naccs-bench-client-")
    paths = write_messages(files, messages, PAYLOAD + HEADER_OCTETS)
    print(f"{messages} messages of {PAYLOAD + HEADER_OCTETS} octets per run, "
          f"{benchlib.reps()} repetitions, medians")

    word = "MISS"
    for sink_name, start in (("smtp-sink", benchlib.start_smtp_sink),
                             ("naccs-sim", benchlib.start_naccs_sim)):
        proc, port = start()
        runs = measure(port, paths)
        benchlib.stop(proc)
        for name, (rate, cpu) in runs.items():
            print(f"sink {sink_name}: {name}: messages_per_s="
                  f"{benchlib.median(rate):.0f} (runs {benchlib.spread(rate)})"
                  f" client_cpu_us_per_message={benchlib.median(cpu):.1f}")
        ratio = (benchlib.median(runs["naccs-send"][0])
                 / benchlib.median(runs["smtp-source -s 1"][0]))
        if sink_name == "smtp-sink":
            word = benchlib.verdict("naccs-send rate / smtp-source -s 1's, "
                                    "sink smtp-sink", ratio, 1.0,
                                    at_least=True)
        else:
            print(f"info: naccs-send rate / smtp-source -s 1's, sink "
                  f"naccs-sim: ratio {ratio:.2f}")
    return 0 if word == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
