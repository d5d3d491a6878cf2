#!/bin/sh
# Sends each message of a naccs-sim suite scenario with one msmtp run,
# because msmtp reads one message from standard input per run.  The whole
# configuration is on the command line (host, port, envelope sender, HELO
# domain; no TLS, no authentication) and --file=/dev/null keeps the
# user's ~/.msmtprc out of the test.  msmtp 1.8 adds From:, Date: and
# Message-ID: header lines to a message that lacks them, and a
# processing-request message has none, so all three are switched off.
# Reads the NACCS_* variables that `naccs-sim suite` exports.
# Exit status: 0 every message accepted, else the first failing msmtp
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
  msmtp --file=/dev/null --host="$NACCS_HOST" --port="$NACCS_PORT" \
    --from="$NACCS_FROM" --domain="$NACCS_HELO" --auth=off --tls=off \
    --set-from-header=off --set-date-header=off --set-msgid-header=off \
    --timeout=10 -- "$NACCS_TO" <"$message" \
    || keep_first_failure "$?"
done
exit "$status"
