"""An SMTP sink for the e-mail plugin's tests (aiosmtpd, run by /usr/bin/python3).

Every message accepted is written to <folder>/<n>.eml, its envelope in X-Sink-Mail-From / X-Sink-Rcpt-To headers
put before the message's own. Recipients whose local part starts with
  reject-  are refused at RCPT with 550 5.1.1 (a mailbox that does not exist),
  busy-    are refused at RCPT with 450 4.2.1 (try again later), every time,
  defer-   get 451 4.3.0 after DATA the first time a Message-ID is sent to them; that copy goes to <folder>/deferred/.
"""
import argparse
import asyncio
import email
import itertools
import os
import signal

from aiosmtpd.smtp import SMTP

counter = itertools.count(1)


def local_part(address):
    return address.split("@", 1)[0].lower()


def write(folder, envelope):
    os.makedirs(folder, exist_ok=True)
    name = "%06d-%d" % (next(counter), os.getpid())
    head = "X-Sink-Mail-From: %s\r\nX-Sink-Rcpt-To: %s\r\n" % (envelope.mail_from, ", ".join(envelope.rcpt_tos))
    temp = os.path.join(folder, name + ".tmp")
    with open(temp, "wb") as f:
        f.write(head.encode("ascii"))
        f.write(envelope.original_content or envelope.content)
    # Renamed into place, so a reader never sees half a message.
    os.rename(temp, os.path.join(folder, name + ".eml"))


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.deferred = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = local_part(address)
        if local.startswith("reject-"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("busy-"):
            return "450 4.2.1 <%s>: Mailbox busy, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        message_id = email.message_from_bytes(envelope.original_content or envelope.content).get("Message-ID", "")
        for rcpt in envelope.rcpt_tos:
            key = (rcpt.lower(), message_id)
            if local_part(rcpt).startswith("defer-") and key not in self.deferred:
                self.deferred.add(key)
                write(os.path.join(self.folder, "deferred"), envelope)
                return "451 4.3.0 Temporary failure, try again later"
        write(self.folder, envelope)
        return "250 2.0.0 Message accepted for delivery"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", required=True)
    args = parser.parse_args()
    sink = Sink(args.folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, hostname="sink.test", enable_SMTPUTF8=True), args.host, args.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
