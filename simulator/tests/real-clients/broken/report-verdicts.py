#!/usr/bin/env python3
"""Print the verdicts of naccs-sim JSON reports as tab-separated lines.

One line per verdict: report path, scenario id, check id, status, then
the explanation and the text of each evidence line, joined by " | ".  Tabs and line breaks
inside texts become spaces, so every verdict stays on one line.  The C
tests use it because GLib has no JSON parser.

Usage: report-verdicts.py REPORT.json...
"""

import json
import sys


def flat(text):
    return " ".join(str(text).split())


def main():
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as stream:
            report = json.load(stream)
        for scenario in report["scenarios"]:
            for verdict in scenario["verdicts"]:
                texts = [verdict.get("explanation") or ""]
                texts += [e["text"] for e in verdict.get("evidence", [])]
                print("\t".join([path, scenario["id"], verdict["id"],
                                 verdict["status"],
                                 " | ".join(flat(t) for t in texts)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
