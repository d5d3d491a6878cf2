#!/usr/bin/env python3
"""Rate of 700 KB messages into naccs-sim against Postfix's smtp-sink.

Target: naccs-sim accepts 700 KB messages (the NACCS EDI maximum is 700,000
octets) at three times or more of smtp-sink's rate, because smtp-sink
parses DATA a byte at a time while naccs-sim scans for line ends with
memchr.  The load is smtp-source -d with 10 parallel sessions and a
700,000-octet payload; smtp-source adds about 170 octets of headers.  Both
servers take the load in turn, BENCH_REPS times; the medians of messages
per wall-clock second are compared.  CPU per message is printed as well.

Usage: bench/run-sink-large.py [MESSAGES]   (default 500 per load)
"""

import sys

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

import benchlib  # noqa: E402

OCTETS = 700000
SESSIONS = 10


def main():
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 500
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
            results[name][0].append(cpu * 1e3)
            results[name][1].append(rate)

    for name, (cpu, rate) in results.items():
        print(f"{name}: messages_per_s={benchlib.median(rate):.1f} "
              f"(runs {benchlib.spread(rate)}) "
              f"MB_per_s={benchlib.median(rate) * OCTETS / 1e6:.0f} "
              f"cpu_ms_per_message={benchlib.median(cpu):.3f} "
              f"(runs {benchlib.spread(cpu)})")
    ratio = (benchlib.median(results["naccs-sim"][1])
             / benchlib.median(results["smtp-sink"][1]))
    word = benchlib.verdict("naccs-sim rate of 700 KB messages / "
                            "smtp-sink's", ratio, 3.0, at_least=True)
    return 0 if word == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
