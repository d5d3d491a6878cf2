#!/usr/bin/env python3
"""Send files to an SMTP server with Python's smtplib, on one connection.

An independent peer for the end-to-end tests: smtplib has its own
dot-stuffing (smtplib.SMTP.data doubles every "." at the start of a line and
appends CRLF to a message that does not end in one), so a server that
stores what this script sends proves it does not depend on the quirks of
our own client.  The script follows figure 4-3-10 of the NACCS EDI
specification: one HELO (never EHLO), then MAIL, RCPT and DATA for every
file, then QUIT.  Messages are passed as bytes, which smtplib sends without
changing line ends.

Prints one line per file, "FILE: accepted" or "FILE: rejected CODE TEXT".
Exit status: 0 every file accepted, 1 some rejected, 2 usage or connection
error.
"""

import argparse
import smtplib
import sys


def parse_server(value):
    """Split HOST:PORT; raise argparse.ArgumentTypeError on a bad port."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(
            f'invalid server "{value}": give HOST:PORT with a port from 1 to 65535')
    return host, int(port)


def send_one(smtp, sender, recipient, path):
    """Send one file; return (accepted, report line)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        smtp.sendmail(sender, [recipient], data)
    except smtplib.SMTPResponseException as e:
        return False, f"{path}: rejected {e.smtp_code} {e.smtp_error!r}"
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients[recipient]
        return False, f"{path}: rejected {code} {text!r}"
    return True, f"{path}: accepted"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", type=parse_server, required=True,
                        help="HOST:PORT of the server")
    parser.add_argument("--helo", required=True, help="domain sent in HELO")
    parser.add_argument("--from", dest="sender", required=True,
                        help="address sent in MAIL FROM")
    parser.add_argument("--to", default="NACCS@EDIFACT.PROD.NACCS6",
                        help="address sent in RCPT TO")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for each reply")
    parser.add_argument("files", nargs="+", help="messages to send")
    args = parser.parse_args()

    host, port = args.server
    try:
        smtp = smtplib.SMTP(host, port, local_hostname=args.helo,
                            timeout=args.timeout)
        code, text = smtp.helo(args.helo)
        if code != 250:
            print(f"HELO rejected: {code} {text!r}", file=sys.stderr)
            return 2
        accepted = 0
        for path in args.files:
            ok, line = send_one(smtp, args.sender, args.to, path)
            print(line)
            accepted += ok
        smtp.quit()
    except (OSError, smtplib.SMTPException) as e:
        print(f"connection to {host}:{port} failed: {e}", file=sys.stderr)
        return 2
    return 0 if accepted == len(args.files) else 1


if __name__ == "__main__":
    sys.exit(main())
