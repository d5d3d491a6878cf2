#!/bin/sh
# Sends each message of a naccs-sim suite scenario with one curl run:
# curl (7.88) uploads one file per SMTP transfer and opens a connection
# for each.  Reads the NACCS_* variables that `naccs-sim suite` exports.
# The URL path is the domain curl sends with EHLO, and with HELO after the
# center rejects EHLO.
# Exit status: 0 every message accepted, else the first failing curl
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
  curl --silent --show-error --max-time 20 \
    "smtp://$NACCS_HOST:$NACCS_PORT/$NACCS_HELO" \
    --mail-from "$NACCS_FROM" --mail-rcpt "$NACCS_TO" \
    --upload-file "$message" \
    || keep_first_failure "$?"
done
exit "$status"
