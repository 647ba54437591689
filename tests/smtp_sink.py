"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd): it keeps what it receives, or refuses on demand.

``refusing`` makes it answer every message with a temporary failure (451), as a
mail server that is down for a while would; the sender must try again later.
"""

import email
import email.policy
import logging
import socket
import threading
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: keep the test output for failures.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """The handler aiosmtpd calls; ``messages`` holds the accepted messages, parsed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refused = 0
        self.refusing = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        with self._lock:
            if self.refusing:
                self.refused += 1
                return "451 4.3.0 Mail server unavailable, try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages delivered to ``address``."""
        with self._lock:
            return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str | None:
        part = message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


@contextmanager
def smtp_sink():
    """Run an SMTP sink on a free port; yields ``(sink, port)``."""
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
