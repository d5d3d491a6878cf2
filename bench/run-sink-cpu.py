#!/usr/bin/env python3
"""CPU per message of naccs-sim against Postfix's smtp-sink.

Target: naccs-sim spends no more CPU per message than smtp-sink under the
same smtp-source load: 1 KB messages over 10 parallel sessions, every
session sending its messages on one connection (smtp-source -d).  Both
servers run side by side and take the load in turn, BENCH_REPS times.  The
CPU time a server used during a load (user + system, from /proc/PID/stat)
divided by the number of messages is its CPU per message, and the medians
of the two servers are compared.

Usage: bench/run-sink-cpu.py [MESSAGES]   (default 60000 per load)
"""

import sys

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

import benchlib  # noqa: E402

OCTETS = 1024
SESSIONS = 10


def main():
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 60000
    benchlib.require_tools(benchlib.SMTP_SINK, benchlib.SMTP_SOURCE)
    benchlib.ensure_build()
    print(benchlib.machine())
    print(f"load: smtp-source -d -s {SESSIONS} -m {messages} -l {OCTETS}, "
          f"{benchlib.reps()} repetitions, medians")

    sink, sink_port = benchlib.start_smtp_sink()
    sim, sim_port = benchlib.start_naccs_sim()
    results = {"smtp-sink": ([], []), "naccs-sim": ([], [])}
    for _ in range(benchlib.reps()):
        for name, proc, port in (("smtp-sink", sink, sink_port),
                                 ("naccs-sim", sim, sim_port)):
            cpu, rate = benchlib.measure_load(proc, port, messages, OCTETS,
                                              SESSIONS)
            results[name][0].append(cpu * 1e6)
            results[name][1].append(rate)

    for name, (cpu, rate) in results.items():
        print(f"{name}: cpu_us_per_message={benchlib.median(cpu):.2f} "
              f"(runs {benchlib.spread(cpu)}) "
              f"messages_per_s={benchlib.median(rate):.0f} "
              f"(runs {benchlib.spread(rate)})")
    ratio = (benchlib.median(results["naccs-sim"][0])
             / benchlib.median(results["smtp-sink"][0]))
    word = benchlib.verdict("naccs-sim CPU per 1 KB message / smtp-sink's",
                            ratio, 1.0, at_least=False)
    return 0 if word == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
