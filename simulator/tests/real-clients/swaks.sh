#!/bin/sh
# Sends each message of a naccs-sim suite scenario with one swaks run, so
# one connection per message, because swaks sends one message per run.
# Reads the NACCS_* variables that `naccs-sim suite` exports.  swaks
# 20201014 opens with EHLO and falls back to HELO when the center rejects
# it, and reads the message with --data @FILE.
# Exit status: 0 every message accepted, else the first failing swaks
# status.
set -u -f
status=0
keep_first_failure () {
  if [ "$status" -eq 0 ]; then status=$1; fi
}
# One path per line; every expansion below is quoted, so this IFS affects
# only the loop list.
IFS='
'
for message in $NACCS_MESSAGES; do
  swaks --server "$NACCS_HOST" --port "$NACCS_PORT" --helo "$NACCS_HELO" \
    --from "$NACCS_FROM" --to "$NACCS_TO" --timeout 10 \
    --data "@$message" >/dev/null \
    || keep_first_failure "$?"
done
exit "$status"
