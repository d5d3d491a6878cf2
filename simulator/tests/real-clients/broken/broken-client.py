#!/usr/bin/env python3
"""A user system with at most one deliberate fault, for testing naccs-sim.

Written on raw sockets with the standard library only, so that nothing but
the chosen fault differs from figure 4-3-10 of the NACCS specification.
That figure has greeting and HELO, then MAIL FROM, RCPT TO, DATA and the
dot-stuffed message for each file, then QUIT.  Reads the NACCS_* variables that
`naccs-sim suite` exports (NACCS_HOST, NACCS_PORT, NACCS_HELO, NACCS_FROM,
NACCS_TO and NACCS_MESSAGES, one path a line).

Without --fault the client conforms.  It checks every file first and
refuses one that SMTP cannot carry unchanged (a line over 1000 octets with
its CRLF, a bare CR or LF).  It acts on reply codes only, with the default
action table of RFC 5321 reply classes: 2xx and 3xx continue; 421 closes
the connection and reconnects; another 4xx resets the transaction (RSET)
and retries the message once at the end of the queue; 5xx resets it and
gives the message up.  A refused greeting or HELO ends the connection with
QUIT.  It waits 2 s for the greeting and for each command reply and 3 s
for the reply to the end of data, the timeouts the shipped scenarios
assume, and gives up the run when one runs out.

Each fault breaks the rule of one naccs-sim check:

  early-helo        SEQ-GREETING     sends HELO before reading the greeting
  ehlo              SEQ-HELO         opens with EHLO; HELO only after the
                                     center rejects it
  helo-domain       SEQ-HELO         HELO with a domain other than NACCS_HELO
  mail-from         SEQ-MAIL         MAIL FROM an address other than
                                     NACCS_FROM
  rcpt-default      SEQ-RCPT         RCPT TO the default center address
                                     whatever NACCS_TO says
  data-before-rcpt  SEQ-ORDER        sends DATA before RCPT TO for the first
                                     message, then RSET and starts it over
  pipelining        SEQ-WAIT         sends MAIL FROM, RCPT TO and DATA in one
                                     write, without waiting for the replies
  pipelining-quit   SEQ-WAIT         pipelines as pipelining does, and sends
                                     QUIT and NOOP in one write; the NOOP
                                     comes before the 221, so it must not
                                     fail SES-AFTER-CLOSE
  no-dot-stuffing   MSG-DOT          sends the messages without dummy dots
  resend-accepted   MSG-COUNT        sends the first message again after its
                                     250
  skip-message      MSG-COUNT        never sends the last message
  no-line-check     MSG-LINE-LENGTH  sends files with lines over 1000 octets
                                     instead of refusing them
  bare-lf           MSG-CRLF         ends every message line but the last
                                     with a bare LF
  no-quit           SES-QUIT         closes the connection after the last
                                     message without QUIT
  after-close       SES-AFTER-CLOSE  sends NOOP after a 221 or 421 reply,
                                     without waiting for a reply to it
  stay-after-421    SES-CLOSE-421    keeps the connection open after 421
                                     until the center closes it (10 s at
                                     most), then reconnects
  blind-continue    ERR-ACTION       after a 4xx or 5xx to MAIL FROM or
                                     RCPT TO goes on as if it were 250
  reads-text        TXT-INDEPENDENT  treats a reply whose text says "try
                                     again" or "try later" as a 4xx,
                                     whatever its code
  slow-give-up      TIME-GIVE-UP     waits 6 s for every reply
  hasty-give-up     TIME-GIVE-UP     waits 0.5 s for every reply
  wrong-exit        CLIENT-EXIT      exits with status 1 when every message
                                     was accepted and 0 when one was not

Exit status, as naccs-send's: 0 every message accepted, 1 some message not
accepted, 2 nothing sent because a file cannot be sent unchanged.
"""

import argparse
import os
import re
import socket
import sys

DEFAULT_CENTER = "NACCS@EDIFACT.PROD.NACCS6"
WRONG_HELO = "WRONG.EXAMPLE.INVALID"
WRONG_FROM = "WRONG@WRONG.EXAMPLE.INVALID"

# RFC 5321 section 4.5.3.1.6: a line, CRLF included, is at most 1000 octets.
LINE_MAX_OCTETS = 1000

# At most this many connections per run, so that a center that keeps
# closing cannot make the client loop.
MAX_CONNECTIONS = 3

# A message that got a transient 4xx is sent at most this many times.
MAX_ATTEMPTS = 2

# Maximum seconds a stay-after-421 client waits for the center to close.
STAY_AFTER_421_SECONDS = 10.0

TRY_LATER_TEXT = re.compile(rb"try (again|later)", re.IGNORECASE)

FAULTS = {
    "early-helo": "SEQ-GREETING",
    "ehlo": "SEQ-HELO",
    "helo-domain": "SEQ-HELO",
    "mail-from": "SEQ-MAIL",
    "rcpt-default": "SEQ-RCPT",
    "data-before-rcpt": "SEQ-ORDER",
    "pipelining": "SEQ-WAIT",
    "pipelining-quit": "SEQ-WAIT",
    "no-dot-stuffing": "MSG-DOT",
    "resend-accepted": "MSG-COUNT",
    "skip-message": "MSG-COUNT",
    "no-line-check": "MSG-LINE-LENGTH",
    "bare-lf": "MSG-CRLF",
    "no-quit": "SES-QUIT",
    "after-close": "SES-AFTER-CLOSE",
    "stay-after-421": "SES-CLOSE-421",
    "blind-continue": "ERR-ACTION",
    "reads-text": "TXT-INDEPENDENT",
    "slow-give-up": "TIME-GIVE-UP",
    "hasty-give-up": "TIME-GIVE-UP",
    "wrong-exit": "CLIENT-EXIT",
}


class Closing(Exception):
    """The center replied 421: the connection must end."""


class Reply:
    """One reply: its code, and the text after the code on its last line."""

    def __init__(self, code, text):
        self.code = code
        self.text = text

    def __repr__(self):
        return f"{self.code} {self.text!r}"


class Session:
    """One SMTP connection that reads multi-line replies."""

    def __init__(self, host, port, connect_timeout):
        self.sock = socket.create_connection((host, port),
                                             timeout=connect_timeout)
        self.replies = self.sock.makefile("rb")

    def read_reply(self, timeout):
        """Read one reply, multi-line or not.

        Raises TimeoutError when it does not come within `timeout` seconds
        and ConnectionError when the center closes the connection first.
        """
        self.sock.settimeout(timeout)
        while True:
            line = self.replies.readline()
            if not line:
                raise ConnectionError("the center closed the connection")
            if len(line) < 4 or not line[:3].isdigit():
                raise ConnectionError(f"not a reply line: {line!r}")
            if line[3:4] != b"-":
                return Reply(int(line[:3]), line[4:].rstrip(b"\r\n"))

    def send(self, data):
        self.sock.sendall(data)

    def send_line(self, text):
        self.send(text.encode("ascii") + b"\r\n")

    def wait_for_close(self, seconds):
        """Read and drop whatever comes until the center closes."""
        self.sock.settimeout(seconds)
        try:
            while self.sock.recv(4096):
                pass
        except (TimeoutError, OSError):
            pass

    def close(self):
        self.replies.close()
        self.sock.close()


def dot_stuff(data):
    """Add a dummy dot before every line that begins with '.'."""
    lines = data.split(b"\r\n")
    return b"\r\n".join(b"." + line if line.startswith(b".") else line
                        for line in lines)


def file_problem(data):
    """Return why SMTP cannot carry this file unchanged, or None."""
    body = data[:-2] if data.endswith(b"\r\n") else data
    for number, line in enumerate(body.split(b"\r\n"), start=1):
        if b"\r" in line or b"\n" in line:
            return f"line {number} holds a bare CR or LF"
        if len(line) + 2 > LINE_MAX_OCTETS:
            return (f"line {number} has {len(line) + 2} octets with its "
                    f"CRLF, more than {LINE_MAX_OCTETS}")
    return None


class Message:
    """One file to send and what became of it."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.attempts = 0
        self.accepted = False
        self.given_up = False


class Client:
    """The conforming client, with the one fault of `fault` (or None)."""

    def __init__(self, fault, env):
        self.fault = fault
        self.env = env
        self.greeting_timeout = 2.0
        self.reply_timeout = 2.0
        self.data_timeout = 3.0
        if fault == "slow-give-up":
            self.greeting_timeout = self.reply_timeout = 6.0
            self.data_timeout = 6.0
        elif fault == "hasty-give-up":
            self.greeting_timeout = self.reply_timeout = 0.5
            self.data_timeout = 0.5
        self.session = None
        self.queue = []
        self.messages = []
        self.resent = False
        self.reordered = False

    # ---- replies ----

    def is_ok(self, reply, want_class):
        """Judge a reply; the reads-text fault also reads its text."""
        if self.fault == "reads-text" and TRY_LATER_TEXT.search(reply.text):
            return False
        return reply.code // 100 == want_class

    def expect(self, reply, want_class=2):
        """Return True for a reply of want_class; raise Closing on 421."""
        if reply.code == 421:
            raise Closing()
        return self.is_ok(reply, want_class)

    def read_reply(self, timeout):
        """Read a reply. With the after-close fault, send NOOP after a 221
        or 421."""
        reply = self.session.read_reply(timeout)
        if self.fault == "after-close" and reply.code in (221, 421):
            try:
                self.session.send_line("NOOP")
            except OSError:
                pass   # the center may have closed already
        return reply

    def command(self, text, timeout=None):
        self.session.send_line(text)
        return self.read_reply(timeout or self.reply_timeout)

    # ---- one connection ----

    def open_session(self):
        """Connect, wait for 220 and send HELO; return True when ready."""
        env = self.env
        helo = WRONG_HELO if self.fault == "helo-domain" else env["NACCS_HELO"]
        self.session = Session(env["NACCS_HOST"], int(env["NACCS_PORT"]),
                               self.greeting_timeout)
        if self.fault == "early-helo":
            self.session.send_line(f"HELO {helo}")
        greeting = self.read_reply(self.greeting_timeout)
        if not self.expect(greeting):
            return self.end_rejected_session(greeting)
        if self.fault == "early-helo":
            reply = self.read_reply(self.reply_timeout)
        elif self.fault == "ehlo":
            reply = self.command(f"EHLO {helo}")
            if reply.code // 100 == 5:
                reply = self.command(f"HELO {helo}")
        else:
            reply = self.command(f"HELO {helo}")
        if not self.expect(reply):
            return self.end_rejected_session(reply)
        return True

    def end_rejected_session(self, reply):
        """QUIT after a refused greeting or HELO.  Return False after a
        5xx (the run is over); raise Closing after a 4xx, so that the
        client reconnects."""
        self.command("QUIT")
        if reply.code // 100 == 4:
            raise Closing()
        return False

    def reset(self):
        """Send RSET after a refusal.  When RSET is refused too, the
        session cannot go on: QUIT, then raise Closing to reconnect."""
        if not self.expect(self.command("RSET")):
            self.command("QUIT")
            raise Closing()

    def envelope(self, message):
        """Send MAIL FROM, RCPT TO and DATA; return None after 354, else
        the reply that refused the transaction."""
        env = self.env
        sender = WRONG_FROM if self.fault == "mail-from" else env["NACCS_FROM"]
        recipient = (DEFAULT_CENTER if self.fault == "rcpt-default"
                     else env["NACCS_TO"])
        commands = [f"MAIL FROM:<{sender}>", f"RCPT TO:<{recipient}>", "DATA"]
        expected_classes = [2, 2, 3]

        if self.fault == "data-before-rcpt" and not self.reordered:
            # DATA before RCPT TO: the center refuses it with 503, and the
            # client starts the transaction over in the right order.
            self.reordered = True
            self.expect(self.command(commands[0]))
            self.expect(self.command(commands[2]), 3)
            self.reset()
        if self.fault in ("pipelining", "pipelining-quit"):
            self.session.send(b"".join(c.encode("ascii") + b"\r\n"
                                       for c in commands))
            replies = [self.read_reply(self.reply_timeout)
                       for _ in commands]
            for reply, want in zip(replies, expected_classes):
                if not self.expect(reply, want):
                    return reply
            return None

        for text, want in zip(commands, expected_classes):
            reply = self.command(text)
            if self.expect(reply, want):
                continue
            if (self.fault == "blind-continue" and text != "DATA"
                    and reply.code // 100 in (4, 5)):
                continue
            return reply
        return None

    def transmit(self, message):
        """Send one message's transaction; return 'sent', 'retry' or
        'failed'.  Raises Closing, TimeoutError and ConnectionError."""
        message.attempts += 1
        refusal = self.envelope(message)
        if refusal is not None:
            outcome = self.outcome_of(refusal, message)
            message.given_up = outcome == "failed"
            self.reset()
            return outcome

        data = message.data
        if self.fault != "no-dot-stuffing":
            data = dot_stuff(data)
        if self.fault == "bare-lf":
            data = data[:-2].replace(b"\r\n", b"\n") + b"\r\n"
        self.session.send(data + b".\r\n")
        reply = self.read_reply(self.data_timeout)
        if self.expect(reply):
            return "sent"
        return self.outcome_of(reply, message)

    @staticmethod
    def outcome_of(refusal, message):
        """A 5xx gives the message up; anything else the client took for
        a refusal (4xx) lets it try again, MAX_ATTEMPTS times in all."""
        if refusal.code // 100 == 5 or message.attempts >= MAX_ATTEMPTS:
            return "failed"
        return "retry"

    def deliver_queue(self):
        """Send every queued message on the open session."""
        while self.queue:
            message = self.queue.pop(0)
            try:
                outcome = self.transmit(message)
            except (Closing, ConnectionError):
                if not message.given_up:
                    self.queue.insert(0, message)
                raise
            if outcome == "sent":
                message.accepted = True
                if self.fault == "resend-accepted" and not self.resent:
                    self.resent = True
                    self.queue.insert(0, message)
            elif outcome == "retry":
                self.queue.append(message)

    def quit(self):
        if self.fault == "no-quit":
            return
        if self.fault == "pipelining-quit":
            self.session.send(b"QUIT\r\nNOOP\r\n")
            self.read_reply(self.reply_timeout)
            return
        self.command("QUIT")

    def end_session(self, closing):
        """Close the connection; after 421 the stay-after-421 fault
        waits for the center to close it first."""
        if closing and self.fault == "stay-after-421":
            self.session.wait_for_close(STAY_AFTER_421_SECONDS)
        self.session.close()
        self.session = None

    def run_connection(self):
        """Deliver what it can on one connection; return True when the
        client must reconnect for the rest."""
        closing = False
        try:
            if not self.open_session():
                return False
            self.deliver_queue()
            self.quit()
        except Closing:
            closing = True
        except ConnectionError:
            closing = True
        finally:
            if self.session is not None:
                self.end_session(closing)
        return closing and bool(self.queue)

    # ---- the run ----

    def run(self, paths):
        for path in paths:
            with open(path, "rb") as stream:
                data = stream.read()
            problem = file_problem(data)
            if problem and self.fault != "no-line-check":
                print(f"broken-client: {path}: {problem}; nothing sent",
                      file=sys.stderr)
                return 2
            if not data.endswith(b"\r\n"):
                data += b"\r\n"
            self.messages.append(Message(path, data))
        self.queue = list(self.messages)
        if self.fault == "skip-message" and self.queue:
            self.queue.pop()

        try:
            for _ in range(MAX_CONNECTIONS):
                if not self.run_connection():
                    break
        except (TimeoutError, OSError) as error:
            # A reply timed out or the connection failed: give the run up.
            print(f"broken-client: giving up: {error or 'timed out'}",
                  file=sys.stderr)
            if self.session is not None:
                self.session.close()

        all_accepted = all(m.accepted for m in self.messages)
        if self.fault == "skip-message":
            all_accepted = all(m.accepted for m in self.messages[:-1])
        if self.fault == "wrong-exit":
            return 1 if all_accepted else 0
        return 0 if all_accepted else 1


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Faults: " + ", ".join(sorted(FAULTS)))
    parser.add_argument("--fault", choices=sorted(FAULTS),
                        help="the rule to break (default: none)")
    args = parser.parse_args()
    paths = [p for p in os.environ.get("NACCS_MESSAGES", "").split("\n") if p]
    return Client(args.fault, os.environ).run(paths)


if __name__ == "__main__":
    sys.exit(main())
