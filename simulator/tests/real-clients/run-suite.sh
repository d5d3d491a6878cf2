#!/bin/sh
# Runs `naccs-sim suite` with one real SMTP client on the scenarios listed
# in scenarios.txt and writes the verdicts as TSV (scenario, check,
# status).  The test /suite/real-clients compares that file with
# expected/TOOL.tsv; to record new expected verdicts, write straight into
# expected/, for example:
#
#   sh simulator/tests/real-clients/run-suite.sh build/simulator/naccs-sim \
#     curl simulator/tests/real-clients/expected/curl.tsv
#
# Usage: run-suite.sh NACCS_SIM TOOL TSV_FILE
#   TOOL is swaks, curl, msmtp or smtplib.  PYTHON (default python3) runs
#   the smtplib script.
# Exit status: that of naccs-sim suite (0 all passed, 1 some failed,
# 2 the suite could not run); 2 also for a usage error here.
set -eu
if [ $# -ne 3 ]; then
  echo "usage: run-suite.sh NACCS_SIM TOOL TSV_FILE" >&2
  exit 2
fi
sim=$1
tool=$2
report=$3
here=$(cd "$(dirname "$0")" && pwd)

case $tool in
  swaks|curl|msmtp)
    client="sh $here/$tool.sh" ;;
  smtplib)
    client="${PYTHON:-python3} $here/smtplib-helo.py --server {host}:{port}"
    client="$client --helo {helo} --from {from} --to {to} {messages}" ;;
  *)
    echo "run-suite.sh: unknown tool \"$tool\": use swaks, curl, msmtp or smtplib" >&2
    exit 2 ;;
esac

set --
for id in $(grep -v '^#' "$here/scenarios.txt"); do
  set -- "$@" --id "$id"
done
exec "$sim" suite --jobs 9 --timeout 30 --client "$client" \
  --report "tsv:$report" "$@"
