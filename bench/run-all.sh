#!/bin/bash
# run-all.sh: runs every benchmark in bench/ one after another and prints a
# summary of their PASS and MISS lines.  Exit status 0 when every target
# passed, 1 when one missed, 2 when a benchmark could not run (it printed
# no verdict).  Takes about three minutes on two cores; BENCH_REPS (default
# 5) sets the repetitions of the server and client benchmarks.
set -u

here=$(cd "$(dirname "$0")" && pwd)
logdir=$(mktemp -d /tmp/naccs-bench-all-XXXXXX)
trap 'rm -rf "$logdir"' EXIT INT TERM
status=0

benches="run-sink-cpu.py run-sink-large.py run-spool.py run-client.py
         run-idle.py run-dot.sh"

for bench in $benches; do
  echo "== $bench"
  "$here/$bench" 2>&1 | tee "$logdir/$bench.log"
  bench_status=${PIPESTATUS[0]}
  if ! grep -q '^\(PASS\|MISS\) ' "$logdir/$bench.log"; then
    echo "$bench: no verdict, exit status $bench_status" >&2
    status=2
  fi
done

echo "== summary"
for bench in $benches; do
  grep '^\(PASS\|MISS\) ' "$logdir/$bench.log"
done
if [ "$status" -eq 0 ] && cat "$logdir"/*.log | grep -q '^MISS '; then
  status=1
fi
exit "$status"
