#!/usr/bin/env python3
"""A user system with one deliberate fault, for testing naccs-sim suite.

Written on raw sockets so that nothing but the chosen fault differs from
figure 4-3-10 of the NACCS specification: greeting, HELO, then MAIL FROM,
RCPT TO, DATA and the dot-stuffed message for each file, then QUIT.
Reads the NACCS_* variables that `naccs-sim suite` exports.

--fault ehlo             opens with EHLO, and sends HELO only after the
                         center rejects EHLO
--fault no-dot-stuffing  sends the messages without dummy dots
--fault no-quit          closes the connection after the last message
                         without QUIT

Exit status: 0 when every reply had the code a correct session gets
(the client does not notice its own fault), 1 otherwise.
"""

import argparse
import os
import socket
import sys


class Session:
    """One SMTP connection that reads replies by their code only."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.replies = self.sock.makefile("rb")

    def reply(self):
        """Read one reply, multi-line or not; return its code."""
        while True:
            line = self.replies.readline()
            if len(line) < 4:
                raise ConnectionError(f"bad reply line {line!r}")
            if line[3:4] != b"-":
                return int(line[:3])

    def command(self, text):
        self.sock.sendall(text.encode("ascii") + b"\r\n")
        return self.reply()

    def close(self):
        self.replies.close()
        self.sock.close()


def dot_stuff(data):
    """Add a dummy dot before every line that begins with '.'."""
    lines = data.split(b"\r\n")
    return b"\r\n".join(b"." + line if line.startswith(b".") else line
                        for line in lines)


def send_message(session, env, path, stuff):
    """Send one file; return True when every reply was as expected."""
    with open(path, "rb") as message:
        data = message.read()
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    ok = session.command(f"MAIL FROM:<{env['NACCS_FROM']}>") == 250
    ok = session.command(f"RCPT TO:<{env['NACCS_TO']}>") == 250 and ok
    if session.command("DATA") != 354:
        return False
    session.sock.sendall((dot_stuff(data) if stuff else data) + b".\r\n")
    return session.reply() == 250 and ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", required=True,
                        choices=["ehlo", "no-dot-stuffing", "no-quit"])
    args = parser.parse_args()
    env = os.environ

    session = Session(env["NACCS_HOST"], int(env["NACCS_PORT"]))
    ok = session.reply() == 220
    ehlo_accepted = (args.fault == "ehlo"
                     and session.command(f"EHLO {env['NACCS_HELO']}") == 250)
    if not ehlo_accepted:
        ok = session.command(f"HELO {env['NACCS_HELO']}") == 250 and ok
    for path in env["NACCS_MESSAGES"].split("\n"):
        if path:
            ok = send_message(session, env, path,
                              args.fault != "no-dot-stuffing") and ok
    if args.fault != "no-quit":
        ok = session.command("QUIT") == 221 and ok
    session.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
