#!/usr/bin/env python3
"""Rate of naccs-sim with its spool on against Postfix's smtp-sink.

Target: with --spool, where every accepted message is written to its own
file, fsync'd, renamed into place and the directory fsync'd before 250 is
sent, naccs-sim keeps at least half of smtp-sink's rate (smtp-sink stores
nothing).  The design does not say which message size, so both loads are
measured and judged: 1 KB messages and 700 KB messages, each over 10
parallel sessions with smtp-source -d.  The spool is a directory under
/var/tmp, on disk rather than tmpfs, emptied between loads.  fsync on a
journalling file system also flushes what other processes wrote, so this
figure moves with other disk activity on the machine.

Usage: bench/run-spool.py
"""

import os
import sys

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

import benchlib  # noqa: E402

SESSIONS = 10
# (payload octets, messages per load into smtp-sink, into naccs-sim)
LOADS = ((1024, 20000, 2000), (700000, 300, 300))


def empty(directory):
    for name in os.listdir(directory):
        os.unlink(os.path.join(directory, name))


def measure(octets, sink_messages, sim_messages, servers, spool):
    rates = {"smtp-sink": [], "naccs-sim --spool": []}
    for _ in range(benchlib.reps()):
        for name, (proc, port) in servers.items():
            messages = sink_messages if name == "smtp-sink" else sim_messages
            _, rate = benchlib.measure_load(proc, port, messages, octets,
                                            SESSIONS)
            rates[name].append(rate)
            empty(spool)
    for name, values in rates.items():
        print(f"{octets} octets: {name}: messages_per_s="
              f"{benchlib.median(values):.1f} "
              f"(runs {benchlib.spread(values)})")
    ratio = (benchlib.median(rates["naccs-sim --spool"])
             / benchlib.median(rates["smtp-sink"]))
    return benchlib.verdict(f"naccs-sim --spool rate / smtp-sink's, "
                            f"{octets}-octet messages", ratio, 0.5,
                            at_least=True)


def main():
    benchlib.require_tools(benchlib.SMTP_SINK, benchlib.SMTP_SOURCE)
    benchlib.ensure_build()
    print(benchlib.machine())
    spool = benchlib.temp_dir("naccs-bench-spool-")
    print(f"spool: {spool}, {benchlib.reps()} repetitions, medians")

    servers = {"smtp-sink": benchlib.start_smtp_sink(),
               "naccs-sim --spool": benchlib.start_naccs_sim("--spool",
                                                             spool)}
    words = [measure(octets, sink_messages, sim_messages, servers, spool)
             for octets, sink_messages, sim_messages in LOADS]
    return 0 if all(word == "PASS" for word in words) else 1


if __name__ == "__main__":
    sys.exit(main())
