#!/usr/bin/env python3
"""Send the messages of a naccs-sim suite scenario with Python's smtplib.

A gateway written the simple way: one connection, HELO (smtplib's helo(),
never ehlo()), then MAIL, RCPT and DATA for every file through
SMTP.sendmail(), then QUIT.  smtplib adds the dummy dots itself and
appends CRLF to a message that does not end with one.  A refused message
is reported and skipped, never retried, so the scenarios that expect a
retry fail.

Usage: smtplib-helo.py --server HOST:PORT --helo DOMAIN --from ADDRESS
                       --to ADDRESS FILE...
Exit status: 0 every file accepted, 1 some refused, 2 a usage or
connection error.
"""

import argparse
import smtplib
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="HOST:PORT")
    parser.add_argument("--helo", required=True, help="domain sent in HELO")
    parser.add_argument("--from", dest="sender", required=True,
                        help="address sent in MAIL FROM")
    parser.add_argument("--to", required=True, help="address sent in RCPT TO")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for each reply")
    parser.add_argument("files", nargs="+", help="messages to send")
    args = parser.parse_args()

    host, _, port = args.server.rpartition(":")
    refused = 0
    try:
        smtp = smtplib.SMTP(host, int(port), local_hostname=args.helo,
                            timeout=args.timeout)
        smtp.helo(args.helo)
        for path in args.files:
            with open(path, "rb") as message:
                data = message.read()
            try:
                smtp.sendmail(args.sender, [args.to], data)
                print(f"{path}: accepted")
            except (smtplib.SMTPResponseException,
                    smtplib.SMTPRecipientsRefused) as error:
                print(f"{path}: refused: {error}")
                refused += 1
        smtp.quit()
    except (OSError, smtplib.SMTPException) as error:
        print(f"connection to {args.server} failed: {error}", file=sys.stderr)
        return 2
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
