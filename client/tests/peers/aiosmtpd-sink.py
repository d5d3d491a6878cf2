#!/usr/bin/python3
"""SMTP sink built on aiosmtpd, an SMTP server independent of this project.

Usage: aiosmtpd-sink.py PORT DIRECTORY

Listens on 127.0.0.1:PORT (0 picks a free port), accepts HELO and every
envelope, and writes each message as aiosmtpd received it (its
original_content: dummy dots removed, bytes unchanged otherwise) to
DIRECTORY/NNN.msg, numbered from 001 in the order of arrival.  Prints
"PORT <number>" on stdout once it accepts connections, and exits when stdin
reaches end of file, so it stops together with the test that started it.
"""

import asyncio
import os
import sys

from aiosmtpd.smtp import SMTP


class SpoolHandler:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, "%03d.msg" % self.count)
        with open(path + ".tmp", "wb") as spool:
            spool.write(envelope.original_content)
        # Rename into place so that a reader never sees a partial file.
        os.rename(path + ".tmp", path)
        return "250 OK stored as %03d" % self.count


async def wait_for_stdin_eof(loop):
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def main():
    port = int(sys.argv[1])
    handler = SpoolHandler(sys.argv[2])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="EDIFACT.PROD.NACCS6", loop=loop),
        host="127.0.0.1", port=port)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await wait_for_stdin_eof(loop)
    server.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: aiosmtpd-sink.py PORT DIRECTORY")
    asyncio.run(main())
